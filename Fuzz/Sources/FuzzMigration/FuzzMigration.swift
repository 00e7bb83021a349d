import OMSFuzzTargets

/// libFuzzer entry point for migration frames and location records: the work is
/// `FuzzTargets.migration` in the main package, which `FuzzFailCaseTests` also runs over the
/// corpora; a broken invariant traps here.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = start.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? []
    do {
        try FuzzTargets.migration(input)
    } catch {
        fatalError(error.description)
    }
    return 0
}
