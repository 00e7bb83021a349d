import Foundation
import Synchronization

/// Every swtpm a test started and has not stopped, killed when the test process exits: a test
/// that fails before its `stop()` (or keeps its TPM in a cycle) leaves no process behind.
private let running = Mutex<Set<Int32>>([])
private let killAtExit: Void = {
    atexit {
        for pid in running.withLock({ $0 }) { kill(pid, SIGKILL) }
    }
}()

/// A software TPM (swtpm) of its own for a test: fresh state in a temporary directory, on free
/// loopback ports, stopped and removed by `stop()`. Tests that need a TPM start one: nothing is
/// mocked.
public final class SoftwareTPM: @unchecked Sendable {
    public let directory: URL
    public let port: Int
    public let controlPort: Int
    private let process: Process

    /// The TCTI string tss2 (and tpm2-tools, as `TPM2TOOLS_TCTI`) reach it with.
    public var tcti: String { "swtpm:host=127.0.0.1,port=\(port)" }

    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    public init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("oms-swtpm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // tss2's swtpm TCTI finds the control channel at the next port up.
        port = try LoopbackPorts.freePair()
        controlPort = port + 1
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/swtpm")
        process.arguments = [
            "socket", "--tpm2", "--tpmstate", "dir=\(directory.path)",
            "--server", "type=tcp,port=\(port),bindaddr=127.0.0.1", "--ctrl", "type=tcp,port=\(controlPort),bindaddr=127.0.0.1",
            "--flags", "not-need-init,startup-clear",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        _ = killAtExit
        let pid = process.processIdentifier
        running.withLock { _ = $0.insert(pid) }
        // Ready in tens of milliseconds: wait until its port takes a connection.
        let deadline = Date().addingTimeInterval(5)
        while !LoopbackPorts.accepts(port) {
            guard process.isRunning, Date() < deadline else {
                stop()
                throw StartError(description: "swtpm did not listen on 127.0.0.1:\(port) within 5 s (is swtpm installed? scripts/install-deps)")
            }
            usleep(10_000)
        }
    }

    deinit { stop() }

    public func stop() {
        if process.isRunning {
            // SIGKILL: swtpm leaves SIGTERM unhandled while a client is connected, and its
            // state is thrown away with the directory anyway.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let pid = process.processIdentifier
        running.withLock { _ = $0.remove(pid) }
        try? FileManager.default.removeItem(at: directory)
    }
}
