/// What each fuzzer in `Fuzz/` does with one input, in one place: the libFuzzer executables call
/// these and trap on a thrown violation; `FuzzFailCaseTests` replays the committed corpora and
/// fail cases through the same functions in every CI run. Decoders may refuse any input; what
/// they must never do is trap, or accept an input and break one of the invariants checked here.
public enum FuzzTargets {}

/// An input that a decoder accepted but that broke an invariant.
public struct FuzzInvariantViolation: Error, CustomStringConvertible {
    public let description: String
}

func invariant(_ condition: Bool, _ message: @autoclosure () -> String) throws(FuzzInvariantViolation) {
    guard condition else { throw FuzzInvariantViolation(description: message()) }
}
