import Crypto
import Foundation
import OMSCrypto
import OMSTestKit
import OMSTrust
import Synchronization
import Testing

/// What crosses the link between the node and its TPM: every byte of a seal, an unseal and an
/// ECDH is recorded by a relay between them, and neither the sealed secret nor the shared
/// secret is among them (the sessions are salted with the storage key and encrypt the first
/// parameter each way). Without parameter encryption both would be there in the clear.
@Suite struct ParameterEncryptionTests {
    struct RelayError: Error, CustomStringConvertible {
        let description: String
    }

    /// Relays TCP from `listen` to `target` on loopback, both ways, keeping every byte.
    final class Relay: @unchecked Sendable {
        let captured = Mutex<[UInt8]>([])
        private let server: Int32

        init(listen: Int, target: Int) throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var yes: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
            var address = LoopbackPorts.loopback(port: listen)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
            guard bound, Foundation.listen(fd, 4) == 0 else {
                close(fd)
                throw RelayError(description: "relay cannot listen on \(listen)")
            }
            server = fd
            Thread.detachNewThread { [self] in
                while true {
                    let client = accept(fd, nil, nil)
                    guard client >= 0 else { return }
                    let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                    var to = LoopbackPorts.loopback(port: target)
                    let connected = withUnsafePointer(to: &to) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
                    }
                    guard connected else {
                        close(client)
                        continue
                    }
                    pump(from: client, to: upstream)
                    pump(from: upstream, to: client)
                }
            }
        }

        private func pump(from source: Int32, to sink: Int32) {
            Thread.detachNewThread { [self] in
                var buffer = [UInt8](repeating: 0, count: 65536)
                while true {
                    let count = read(source, &buffer, buffer.count)
                    guard count > 0 else { break }
                    captured.withLock { $0 += buffer[..<count] }
                    guard write(sink, buffer, count) == count else { break }
                }
                shutdown(sink, Int32(SHUT_WR))
            }
        }

        func stop() {
            shutdown(server, Int32(SHUT_RDWR))
            close(server)
        }
    }

    @Test func sealedAndAgreedSecretsNeverCrossTheLinkInTheClear() throws {
        let swtpm = try SoftwareTPM()
        defer { swtpm.stop() }
        // The relay's command port and, next up, its control port, as the TCTI expects.
        let port = try LoopbackPorts.freePair()
        let commands = try Relay(listen: port, target: swtpm.port)
        let control = try Relay(listen: port + 1, target: swtpm.controlPort)
        defer {
            commands.stop()
            control.stop()
        }
        let tpm = try TPM(tcti: "swtpm:host=127.0.0.1,port=\(port)")

        let secret = SecureBytes.random(count: 32)
        let sealed = try tpm.seal(secret)
        #expect(try tpm.unseal(sealed).exposedBytes == secret.exposedBytes)
        let selection = try PCRSelection([16])
        let bound = try tpm.seal(secret, toPCRs: try tpm.readPCRs([16]))
        #expect(try tpm.unseal(bound, pcrs: selection).exposedBytes == secret.exposedBytes)

        let transfer = try tpm.createTransferKey()
        let point = Array(P256.KeyAgreement.PrivateKey().publicKey.x963Representation)
        let shared = try tpm.sharedSecret(transfer, withPoint: Array(point[1..<33]), Array(point[33...]))

        let traffic = commands.captured.withLock { $0 }
        let (secretLeaked, sharedLeaked) = (traffic.contains(subsequence: secret.exposedBytes), traffic.contains(subsequence: shared.exposedBytes))
        let publicSeen = traffic.contains(subsequence: transfer.publicArea.bytes)
        #expect(traffic.count > 1000, "the relay saw the TPM's traffic")
        #expect(!secretLeaked, "the sealed secret crossed the link in the clear")
        #expect(!sharedLeaked, "the ECDH secret crossed the link in the clear")
        // What is not secret does cross as it is: the transfer key's public area.
        #expect(publicSeen)
    }
}
