import KuraFuzzing

/// libFuzzer's entry point: one input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzTargets.jsonCompact(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

runFuzzDriver(fuzzOneInput)
