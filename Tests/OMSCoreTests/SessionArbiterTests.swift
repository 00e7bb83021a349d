import OMSCore
import OMSCrypto
import OMSProtocol
import Testing

/// Duplicate sessions: both ends of a pair must keep the same physical connection, whatever
/// order the two connections reached each end in.
@Suite struct SessionArbiterTests {
    /// One TCP connection between the pair, named by who dialled it.
    struct Connection: Hashable {
        var name: String
        var dialler: NodeID
        func direction(at node: NodeID) -> SessionArbiter.Direction { node == dialler ? .outbound : .inbound }
    }

    /// What `node` keeps when `existing` is up and `new` arrives.
    static func survivor(at node: NodeID, peer: NodeID, existing: Connection, new: Connection) -> Connection {
        let keepNew = SessionArbiter.keepNew(
            local: node, remote: peer,
            existingDirection: existing.direction(at: node), newDirection: new.direction(at: node))
        return keepNew ? new : existing
    }

    static func pair(_ first: [UInt8], _ second: [UInt8]) throws -> (small: NodeID, large: NodeID) {
        let a = try NodeID(bytes: first)
        let b = try NodeID(bytes: second)
        return a.bytes.lexicographicallyPrecedes(b.bytes) ? (a, b) : (b, a)
    }

    static let pairs: [([UInt8], [UInt8])] = [
        ([UInt8](repeating: 1, count: 32), [UInt8](repeating: 2, count: 32)),
        // Differ only in the last byte.
        ([UInt8](repeating: 7, count: 31) + [0], [UInt8](repeating: 7, count: 31) + [255]),
        // The first byte decides even when the rest points the other way.
        ([0x00] + [UInt8](repeating: 0xFF, count: 31), [0x01] + [UInt8](repeating: 0x00, count: 31)),
        (Ed25519.PrivateKey().publicKey.rawRepresentation, Ed25519.PrivateKey().publicKey.rawRepresentation),
        (Ed25519.PrivateKey().publicKey.rawRepresentation, Ed25519.PrivateKey().publicKey.rawRepresentation),
    ]

    @Test(arguments: pairs.indices)
    func crossedDialsKeepTheConnectionDialledByTheSmallerID(index: Int) throws {
        let (a, b) = try Self.pair(Self.pairs[index].0, Self.pairs[index].1)
        let x = Connection(name: "A dialled B", dialler: a)
        let y = Connection(name: "B dialled A", dialler: b)

        // Each end may have seen either connection first: all four combinations.
        for (aExisting, aNew) in [(x, y), (y, x)] {
            for (bExisting, bNew) in [(x, y), (y, x)] {
                let atA = Self.survivor(at: a, peer: b, existing: aExisting, new: aNew)
                let atB = Self.survivor(at: b, peer: a, existing: bExisting, new: bNew)
                #expect(atA == atB, "A saw \(aExisting.name) first, B saw \(bExisting.name) first")
                #expect(atA == x)
            }
        }
    }

    @Test func everyDirectionCombinationAtTheSmallerEnd() throws {
        let (a, b) = try Self.pair([UInt8](repeating: 1, count: 32), [UInt8](repeating: 2, count: 32))
        // At A (smaller): keep outbound sessions, i.e. those A dialled.
        #expect(SessionArbiter.keepNew(local: a, remote: b, existingDirection: .inbound, newDirection: .outbound))
        #expect(!SessionArbiter.keepNew(local: a, remote: b, existingDirection: .outbound, newDirection: .inbound))
        // At B (larger): keep inbound sessions, i.e. those A dialled.
        #expect(SessionArbiter.keepNew(local: b, remote: a, existingDirection: .outbound, newDirection: .inbound))
        #expect(!SessionArbiter.keepNew(local: b, remote: a, existingDirection: .inbound, newDirection: .outbound))
        // Same direction: a reconnect, the newer one wins at both ends.
        for direction in [SessionArbiter.Direction.inbound, .outbound] {
            #expect(SessionArbiter.keepNew(local: a, remote: b, existingDirection: direction, newDirection: direction))
            #expect(SessionArbiter.keepNew(local: b, remote: a, existingDirection: direction, newDirection: direction))
        }
    }

    @Test(arguments: pairs.indices)
    func reconnectInTheSameDirectionKeepsTheNewerAtBothEnds(index: Int) throws {
        let (a, b) = try Self.pair(Self.pairs[index].0, Self.pairs[index].1)
        for dialler in [a, b] {
            let old = Connection(name: "old", dialler: dialler)
            let new = Connection(name: "new", dialler: dialler)
            #expect(Self.survivor(at: a, peer: b, existing: old, new: new) == new)
            #expect(Self.survivor(at: b, peer: a, existing: old, new: new) == new)
        }
    }
}
