import OMSFuzzTargets

/// libFuzzer entry point for the identity objects' openers (claim, revocation, presentation, persona
/// link, sign-in answer): the work is `FuzzTargets.identityObjects` in the main package, which
/// `FuzzFailCaseTests` also runs over the corpora; a broken invariant traps here.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = start.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? []
    do {
        try FuzzTargets.identityObjects(input)
    } catch {
        fatalError(error.description)
    }
    return 0
}
