import Foundation
import OMSCrypto
import OMSTestKit
import Testing

@testable import OMSProtocol

// MARK: - Fixtures

/// One entry of the cacophony vector file; only the fields XX uses.
private struct CacophonyVector: Decodable {
    struct Message: Decodable {
        let payload: String
        let ciphertext: String
    }

    let protocolName: String
    let initPrologue: String
    let initStatic: String?
    let initEphemeral: String
    let respPrologue: String
    let respStatic: String?
    let respEphemeral: String?
    let handshakeHash: String
    let messages: [Message]
}

private struct CacophonyFile: Decodable {
    let vectors: [CacophonyVector]
}

private func bytes(_ hex: String) -> [UInt8] {
    precondition(hex.count.isMultiple(of: 2), "odd-length hex")
    var out: [UInt8] = []
    out.reserveCapacity(hex.count / 2)
    var index = hex.startIndex
    while index < hex.endIndex {
        let next = hex.index(index, offsetBy: 2)
        out.append(UInt8(hex[index..<next], radix: 16)!)
        index = next
    }
    return out
}

private func loadVector(_ name: String) throws -> CacophonyVector {
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    let file = try decoder.decode(CacophonyFile.self, from: SharedVectors.data("noise/cacophony-subset.json"))
    return try #require(file.vectors.first { $0.protocolName == name })
}

/// Sends one handshake message from `sender` to `receiver`, returning what was on the wire.
@discardableResult
private func deliver(
    _ payload: [UInt8], from sender: inout NoiseHandshake, to receiver: inout NoiseHandshake
) throws -> [UInt8] {
    let message = try sender.writeMessage(payload: payload)
    #expect(try receiver.readMessage(message) == payload)
    return message
}

/// A complete handshake between fresh random parties.
private func handshake(
    initiatorKey: X25519.PrivateKey = X25519.PrivateKey(), responderKey: X25519.PrivateKey = X25519.PrivateKey(),
    prologue: [UInt8] = Array("OMS test".utf8)
) throws -> (initiator: NoiseTransport, responder: NoiseTransport) {
    var initiator = NoiseHandshake(role: .initiator, staticKey: initiatorKey, prologue: prologue)
    var responder = NoiseHandshake(role: .responder, staticKey: responderKey, prologue: prologue)
    try deliver([], from: &initiator, to: &responder)
    try deliver(Array("hello from responder".utf8), from: &responder, to: &initiator)
    try deliver(Array("hello from initiator".utf8), from: &initiator, to: &responder)
    return (try initiator.split(), try responder.split())
}

/// The code of the `NoiseError` that `body` throws, or nil if it returns.
private func code(of body: () throws -> Any) -> NoiseError.Code? {
    do {
        _ = try body()
        return nil
    } catch let error as NoiseError {
        return error.code
    } catch {
        Issue.record("expected a NoiseError, got \(error)")
        return nil
    }
}

// MARK: - Tests

@Suite struct NoiseTests {
    // 1. The cacophony vector, byte for byte, from both sides.

    @Test func cacophonyXXBlake2bVector() throws {
        let vector = try loadVector("Noise_XX_25519_ChaChaPoly_BLAKE2b")
        #expect(vector.protocolName == NoiseHandshake.protocolName)
        #expect(vector.messages.count == 6)

        let initiatorStatic = try X25519.PrivateKey(rawRepresentation: bytes(try #require(vector.initStatic)))
        let responderStatic = try X25519.PrivateKey(rawRepresentation: bytes(try #require(vector.respStatic)))
        var initiator = NoiseHandshake(
            role: .initiator, staticKey: initiatorStatic, prologue: bytes(vector.initPrologue),
            ephemeralKey: try X25519.PrivateKey(rawRepresentation: bytes(vector.initEphemeral)))
        var responder = NoiseHandshake(
            role: .responder, staticKey: responderStatic, prologue: bytes(vector.respPrologue),
            ephemeralKey: try X25519.PrivateKey(rawRepresentation: bytes(try #require(vector.respEphemeral))))

        for (index, message) in vector.messages.prefix(3).enumerated() {
            let payload = bytes(message.payload)
            let expected = bytes(message.ciphertext)
            if index.isMultiple(of: 2) {
                #expect(initiator.nextStep == .write && responder.nextStep == .read)
                let written = try initiator.writeMessage(payload: payload)
                #expect(written == expected, "handshake message \(index) written by the initiator")
                #expect(try responder.readMessage(expected) == payload, "payload \(index) read by the responder")
            } else {
                #expect(initiator.nextStep == .read && responder.nextStep == .write)
                let written = try responder.writeMessage(payload: payload)
                #expect(written == expected, "handshake message \(index) written by the responder")
                #expect(try initiator.readMessage(expected) == payload, "payload \(index) read by the initiator")
            }
        }
        #expect(initiator.nextStep == .split && responder.nextStep == .split)

        var initiatorTransport = try initiator.split()
        var responderTransport = try responder.split()
        let expectedHash = bytes(vector.handshakeHash)
        #expect(initiatorTransport.handshakeHash == expectedHash)
        #expect(responderTransport.handshakeHash == expectedHash)
        #expect(initiator.handshakeHash == expectedHash)
        #expect(initiatorTransport.remoteStaticKey == responderStatic.publicKey)
        #expect(responderTransport.remoteStaticKey == initiatorStatic.publicKey)

        // Cacophony keeps alternating after the handshake: message 2 was the initiator's, so
        // transport messages 3, 4, 5 are sent by the responder, initiator, responder.
        for index in 3..<6 {
            let payload = bytes(vector.messages[index].payload)
            let expected = bytes(vector.messages[index].ciphertext)
            if index.isMultiple(of: 2) {
                #expect(try initiatorTransport.encrypt(payload) == expected, "transport message \(index) (initiator)")
                #expect(try responderTransport.decrypt(expected) == payload)
            } else {
                #expect(try responderTransport.encrypt(payload) == expected, "transport message \(index) (responder)")
                #expect(try initiatorTransport.decrypt(expected) == payload)
            }
        }
    }

    // 2. Random parties.

    @Test func randomPartiesHandshakeAndTalkBothWays() throws {
        let initiatorKey = X25519.PrivateKey()
        let responderKey = X25519.PrivateKey()
        var (initiator, responder) = try handshake(initiatorKey: initiatorKey, responderKey: responderKey)
        #expect(initiator.remoteStaticKey == responderKey.publicKey)
        #expect(responder.remoteStaticKey == initiatorKey.publicKey)
        #expect(initiator.handshakeHash == responder.handshakeHash)
        #expect(initiator.handshakeHash.count == 64)

        for round in 0..<5 {
            let ping = Array("ping \(round)".utf8)
            #expect(try responder.decrypt(initiator.encrypt(ping)) == ping)
            let pong = SecureRandom.bytes(round * 100)
            #expect(try initiator.decrypt(responder.encrypt(pong)) == pong)
        }
        #expect(initiator.sentCount == 5 && initiator.receivedCount == 5)

        // The largest allowed plaintext fills exactly one 65535-byte Noise message.
        let largest = SecureRandom.bytes(NoiseTransport.maxPlaintextLength)
        let sealed = try initiator.encrypt(largest)
        #expect(sealed.count == NoiseTransport.maxMessageLength)
        #expect(try responder.decrypt(sealed) == largest)
    }

    @Test func initiatorLearnsResponderIdentityBeforeRevealingItsOwn() throws {
        let responderKey = X25519.PrivateKey()
        var initiator = NoiseHandshake(role: .initiator, staticKey: X25519.PrivateKey(), prologue: [])
        var responder = NoiseHandshake(role: .responder, staticKey: responderKey, prologue: [])
        try deliver([], from: &initiator, to: &responder)
        #expect(initiator.remoteStaticKey == nil)
        try deliver([], from: &responder, to: &initiator)
        #expect(initiator.remoteStaticKey == responderKey.publicKey)
        #expect(responder.remoteStaticKey == nil)
    }

    @Test func splitKeysPairUp() throws {
        var (initiator, responder) = try handshake()
        #expect(initiator.sendCipher.key == responder.receiveCipher.key)
        #expect(initiator.receiveCipher.key == responder.sendCipher.key)
        #expect(initiator.sendCipher.key != initiator.receiveCipher.key)
        // Both directions start at nonce 0, independently.
        _ = try initiator.encrypt([1])
        #expect(initiator.sentCount == 1 && responder.receivedCount == 0 && responder.sentCount == 0)
    }

    @Test func rekeyKeepsBothSidesInStep() throws {
        var (initiator, responder) = try handshake()
        try initiator.rekeySending()
        let afterRekey = try initiator.encrypt([7, 7])
        #expect(code { try responder.decrypt(afterRekey) } == .decryptFailed)
        try responder.rekeyReceiving()
        #expect(try responder.decrypt(afterRekey) == [7, 7])
    }

    // 3. Refusals.

    @Test(arguments: 0..<3)
    func flippedBitInAnyHandshakeMessageIsRefused(messageIndex: Int) throws {
        let payloads: [[UInt8]] = [Array("one".utf8), Array("two".utf8), Array("three".utf8)]
        let lengths = [32 + 3, 32 + 48 + 3 + 16, 48 + 5 + 16]
        // One bit flipped in every byte position in turn, a different bit each time.
        for position in 0..<lengths[messageIndex] {
            let bit = UInt8(1) << UInt8(position % 8)
            var initiator = NoiseHandshake(role: .initiator, staticKey: X25519.PrivateKey(), prologue: [])
            var responder = NoiseHandshake(role: .responder, staticKey: X25519.PrivateKey(), prologue: [])
            var failure: NoiseError.Code?
            for index in 0..<3 where failure == nil {
                failure = code {
                    var message =
                        index == 1
                        ? try responder.writeMessage(payload: payloads[index])
                        : try initiator.writeMessage(payload: payloads[index])
                    #expect(message.count == lengths[index])
                    if index == messageIndex { message[position] ^= bit }
                    return index == 1 ? try initiator.readMessage(message) : try responder.readMessage(message)
                }
            }
            #expect(failure == .decryptFailed, "bit flip at byte \(position) of message \(messageIndex)")
            #expect(initiator.nextStep == .failed || responder.nextStep == .failed)
        }
    }

    @Test func differentProloguesFailTheHandshake() throws {
        var initiator = NoiseHandshake(role: .initiator, staticKey: X25519.PrivateKey(), prologue: Array("OMS/1".utf8))
        var responder = NoiseHandshake(role: .responder, staticKey: X25519.PrivateKey(), prologue: Array("OMS/2".utf8))
        // Message 1 is unencrypted, so the mismatch only shows at the first encrypted field.
        _ = try responder.readMessage(initiator.writeMessage(payload: []))
        let second = try responder.writeMessage(payload: [])
        #expect(code { try initiator.readMessage(second) } == .decryptFailed)
        #expect(initiator.nextStep == .failed)
    }

    @Test func outOfTurnCallsThrowWithoutPoisoning() throws {
        var initiator = NoiseHandshake(role: .initiator, staticKey: X25519.PrivateKey(), prologue: [])
        var responder = NoiseHandshake(role: .responder, staticKey: X25519.PrivateKey(), prologue: [])
        #expect(code { try initiator.readMessage([UInt8](repeating: 1, count: 32)) } == .outOfOrder)
        #expect(code { try responder.writeMessage(payload: []) } == .outOfOrder)
        #expect(code { try initiator.split() } == .handshakeNotFinished)

        try deliver([], from: &initiator, to: &responder)
        #expect(code { try initiator.writeMessage(payload: []) } == .outOfOrder)
        #expect(code { try responder.readMessage([]) } == .outOfOrder)
        try deliver([], from: &responder, to: &initiator)
        try deliver([], from: &initiator, to: &responder)

        #expect(code { try initiator.writeMessage(payload: []) } == .outOfOrder)
        #expect(code { try responder.readMessage([]) } == .outOfOrder)
        _ = try initiator.split()
        #expect(initiator.nextStep == .done)
        #expect(code { try initiator.split() } == .outOfOrder)
        #expect(code { try initiator.writeMessage(payload: []) } == .outOfOrder)
    }

    @Test func tooShortMessagesAreMalformed() throws {
        // Minimum lengths with empty payloads: e; e + encrypted s + tag; encrypted s + tag.
        let minimum = [32, 96, 64]
        for messageIndex in 0..<3 {
            for length in 0..<minimum[messageIndex] {
                var initiator = NoiseHandshake(role: .initiator, staticKey: X25519.PrivateKey(), prologue: [])
                var responder = NoiseHandshake(role: .responder, staticKey: X25519.PrivateKey(), prologue: [])
                if messageIndex >= 1 { try deliver([], from: &initiator, to: &responder) }
                if messageIndex >= 2 { try deliver([], from: &responder, to: &initiator) }
                let real =
                    messageIndex == 1
                    ? try responder.writeMessage(payload: [])
                    : try initiator.writeMessage(payload: [])
                #expect(real.count == minimum[messageIndex])
                let short = Array(real.prefix(length))
                let result = code {
                    messageIndex == 1 ? try initiator.readMessage(short) : try responder.readMessage(short)
                }
                #expect(result == .malformedMessage, "message \(messageIndex) cut to \(length) bytes")
            }
        }
    }

    @Test func failedHandshakeStaysFailed() throws {
        var initiator = NoiseHandshake(role: .initiator, staticKey: X25519.PrivateKey(), prologue: [])
        var responder = NoiseHandshake(role: .responder, staticKey: X25519.PrivateKey(), prologue: [])
        let first = try initiator.writeMessage(payload: [])
        #expect(code { try responder.readMessage(Array(first.prefix(10))) } == .malformedMessage)
        #expect(responder.nextStep == .failed)
        // Even the genuine message is now refused, and so is everything else.
        #expect(code { try responder.readMessage(first) } == .handshakeFailed)
        #expect(code { try responder.writeMessage(payload: []) } == .handshakeFailed)
        #expect(code { try responder.split() } == .handshakeFailed)
    }

    /// Low-order points make every X25519 result zero. Repeated, because each refusal once
    /// freed a `SecureBytes` buffer twice (fixed in OMSCrypto) and the heap broke only later.
    @Test(arguments: [
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    ])
    func lowOrderEphemeralIsRefused(point: String) throws {
        for _ in 0..<200 {
            var responder = NoiseHandshake(role: .responder, staticKey: X25519.PrivateKey(), prologue: [])
            _ = try responder.readMessage(bytes(point))
            #expect(code { try responder.writeMessage(payload: []) } == .weakPublicKey)
            #expect(responder.nextStep == .failed)
        }
    }

    @Test func handshakeMessagesRespectTheLengthLimit() throws {
        var initiator = NoiseHandshake(role: .initiator, staticKey: X25519.PrivateKey(), prologue: [])
        let oneTooMany = [UInt8](repeating: 0, count: 65535 - 32 + 1)
        #expect(code { try initiator.writeMessage(payload: oneTooMany) } == .messageTooLong)

        var fits = NoiseHandshake(role: .initiator, staticKey: X25519.PrivateKey(), prologue: [])
        #expect(try fits.writeMessage(payload: [UInt8](repeating: 0, count: 65535 - 32)).count == 65535)

        var responder = NoiseHandshake(role: .responder, staticKey: X25519.PrivateKey(), prologue: [])
        #expect(code { try responder.readMessage([UInt8](repeating: 9, count: 65536)) } == .messageTooLong)
    }

    @Test func transportMessagesOverTheLimitAreRefused() throws {
        var (initiator, responder) = try handshake()
        let tooBig = [UInt8](repeating: 0, count: NoiseTransport.maxPlaintextLength + 1)
        #expect(code { try initiator.encrypt(tooBig) } == .messageTooLong)
        #expect(initiator.sentCount == 0)
        #expect(code { try responder.decrypt([UInt8](repeating: 0, count: 65536)) } == .messageTooLong)
        #expect(code { try responder.decrypt([UInt8](repeating: 0, count: 15)) } == .malformedMessage)
    }

    @Test func replayedTransportMessageFailsToDecrypt() throws {
        var (initiator, responder) = try handshake()
        let first = try initiator.encrypt(Array("first".utf8))
        let second = try initiator.encrypt(Array("second".utf8))
        #expect(try responder.decrypt(first) == Array("first".utf8))
        #expect(code { try responder.decrypt(first) } == .decryptFailed)
        // A failed decryption does not advance the nonce (spec 5.1), so the stream continues.
        #expect(try responder.decrypt(second) == Array("second".utf8))
        #expect(code { try responder.decrypt(second) } == .decryptFailed)
    }

    @Test func tamperedTransportMessageFailsToDecrypt() throws {
        var (initiator, responder) = try handshake()
        var sealed = try initiator.encrypt(Array("payload".utf8))
        sealed[3] ^= 0x20
        #expect(code { try responder.decrypt(sealed) } == .decryptFailed)
        #expect(responder.receivedCount == 0)
    }

    // Building blocks.

    @Test func nonceIsFourZeroBytesThenLittleEndianCounter() {
        #expect(NoiseCipherState.nonce(0x0102_0304_0506_0708) == [0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1])
        #expect(NoiseCipherState.nonce(0) == [UInt8](repeating: 0, count: 12))
    }

    @Test func nonceNeverReachesTheReservedValue() throws {
        var sender = NoiseCipherState(key: SecureBytes.random(count: 32))
        sender.setNonce(.max - 1)
        let last = try sender.encryptWithAd([], plaintext: [1])
        #expect(sender.n == .max)
        #expect(code { try sender.encryptWithAd([], plaintext: [2]) } == .nonceExhausted)

        var receiver = NoiseCipherState(key: sender.key)
        receiver.setNonce(.max - 1)
        #expect(try receiver.decryptWithAd([], ciphertext: last) == [1])
        #expect(code { try receiver.decryptWithAd([], ciphertext: last) } == .nonceExhausted)
    }

    @Test func cipherWithoutKeyPassesThrough() throws {
        var cipher = NoiseCipherState()
        #expect(!cipher.hasKey)
        #expect(try cipher.encryptWithAd([1], plaintext: [4, 5]) == [4, 5])
        #expect(try cipher.decryptWithAd([1], ciphertext: [4, 5]) == [4, 5])
        #expect(cipher.n == 0)
    }

    @Test func protocolNamesArePaddedOrHashed() {
        let short = "Noise_XX_25519_ChaChaPoly_BLAKE2b"
        #expect(NoiseSymmetricState(protocolName: short).h == Array(short.utf8) + [UInt8](repeating: 0, count: 64 - 33))
        let long = String(repeating: "N", count: 65)
        #expect(NoiseSymmetricState(protocolName: long).h == BLAKE2b.hash(Array(long.utf8), outputLength: 64))
        let exact = String(repeating: "N", count: 64)
        #expect(NoiseSymmetricState(protocolName: exact).h == Array(exact.utf8))
    }

    @Test func errorsSayWhatWentWrong() {
        let error = NoiseError(.decryptFailed, "tag did not verify")
        #expect(error.description == "Noise decryptFailed: tag did not verify")
        #expect(NoiseError.Code.outOfOrder != .messageTooLong)
    }
}
