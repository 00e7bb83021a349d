import OMSCrypto
import OMSProtocol

/// Where a TCF lives now (protocol-spec §18): signed by the TCF's owner key (which the TCF's id
/// names, so any node checks it from the bytes alone), numbered so that
/// the newest wins and an older one is refused, and gossiped so that every node learns the new
/// address after a migration. Payload:
/// ```
/// layout u8 = 1 | tcf [32] | node [32] | sequence u64 | at_ms u64 | migration [16]
/// ```
public struct TCFLocation: Sendable, Hashable {
    public static let type = try! EnvelopeType("oms/tcf-location")
    static let layout: UInt8 = 1
    static let payloadLength = 1 + 32 + 32 + 8 + 8 + MigrationID.length

    public let tcf: TCFID
    public let node: NodeID
    /// 1 for the first move, one more for each after.
    public let sequence: UInt64
    public let atMs: UInt64
    /// The migration that moved it there.
    public let migration: MigrationID
    public let envelope: Envelope

    /// The TCF's owner key, which signed it.
    public var owner: Ed25519.PublicKey { envelope.signer }
    public var content: ObjectID { envelope.id }
    public var item: GossipItem<GossipKey> { GossipItem(key: .location(tcf), version: sequence, content: content, bytes: envelope.bytes) }

    /// Signs where `tcf` lives now; `owner` must be the key the TCF's id names.
    public static func sign(
        tcf: TCFID, node: NodeID, sequence: UInt64, atMs: UInt64, migration: MigrationID, owner: Ed25519.PrivateKey
    ) throws(GossipError) -> TCFLocation {
        try read(Envelope.sign(type: type, payload: payload(tcf: tcf, node: node, sequence: sequence, atMs: atMs, migration: migration), with: owner))
    }

    public static func payload(tcf: TCFID, node: NodeID, sequence: UInt64, atMs: UInt64, migration: MigrationID) -> [UInt8] {
        var payload: [UInt8] = [layout]
        payload += tcf.bytes
        payload += node.bytes
        payload.appendBigEndian(sequence)
        payload.appendBigEndian(atMs)
        payload += migration.bytes
        return payload
    }

    public static func open(_ bytes: [UInt8]) throws(GossipError) -> TCFLocation {
        do {
            return try read(try Envelope.open(bytes, expecting: type, maximumPayload: payloadLength))
        } catch let error as EnvelopeError {
            throw GossipError(error)
        } catch let error as GossipError {
            throw error
        } catch {
            throw GossipError(.malformed, "\(error)")
        }
    }

    static func read(_ envelope: Envelope) throws(GossipError) -> TCFLocation {
        var reader = ByteReader(envelope.payload)
        guard envelope.payload.count == payloadLength, reader.readByte() == layout,
            let tcf = reader.readArray(32).flatMap({ try? TCFID(bytes: $0) }), let node = reader.readArray(32).flatMap({ try? NodeID(bytes: $0) }),
            let sequence = reader.readUInt64(), (1...UInt64(Int64.max)).contains(sequence), let atMs = reader.readUInt64(),
            let migration = reader.readArray(MigrationID.length).flatMap({ try? MigrationID(bytes: $0) })
        else { throw GossipError(.malformed, "a TCF location is layout 1, a TCF, a node, a sequence of 1 to 2^63 - 1, a time and a migration") }
        // The TCF's id is its owner key's: nobody else can sign where it lives.
        guard tcf.isNamed(by: envelope.signer) else {
            throw GossipError(.wrongSigner, "a location of \(tcf.short) signed by a key that is not its owner's")
        }
        return TCFLocation(tcf: tcf, node: node, sequence: sequence, atMs: atMs, migration: migration, envelope: envelope)
    }

    /// Checks `self` against the record held for the same TCF: newer. (Both are the owner's:
    /// the TCF's id names its owner key.)
    public func follows(_ held: TCFLocation?) throws(MigrationError) {
        guard let held else { return }
        guard sequence > held.sequence else {
            throw MigrationError(.staleLocation, "location \(sequence) of \(tcf.short); \(held.sequence) is held")
        }
    }
}
