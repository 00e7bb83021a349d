import OMSFuzzTargets

/// libFuzzer entry point for the handshake payload: the work is `FuzzTargets.handshakePayload` in the main package,
/// which `FuzzFailCaseTests` also runs over the corpora; a broken invariant traps here.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = start.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? []
    FuzzTargets.handshakePayload(input)
    return 0
}
