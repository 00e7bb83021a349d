import OMSCrypto
import OMSProtocol

/// Who a claim is by or about: any OMS id but an object's. Claims carry the id as text, so
/// the kind (persona, TCC, node, TCF) is part of what was signed.
public enum PartyID: Hashable, Sendable, CustomStringConvertible {
    case node(NodeID)
    case tcf(TCFID)
    case tcc(TCCID)
    case persona(PersonaID)

    /// Ids are printed in at most this many bytes (bech32m of 32 bytes under a short prefix).
    static let maximumTextLength = 100

    public init(parsing text: String) throws(IdentityError) {
        guard let separator = text.utf8.lastIndex(of: UInt8(ascii: "1")) else {
            throw IdentityError(.malformed, "'\(text.printable(limit: 100))' is not an OMS id")
        }
        let kind = IdentifierKind(rawValue: String(text[..<separator]))
        guard let kind, kind != .object else {
            throw IdentityError(.malformed, "'\(text.printable(limit: 100))' is not the id of a node, TCF, TCC or persona")
        }
        do throws(IdentifierError) {
            switch kind {
            case .node: self = .node(try NodeID(parsing: text))
            case .tcf: self = .tcf(try TCFID(parsing: text))
            case .tcc: self = .tcc(try TCCID(parsing: text))
            case .persona, .object: self = .persona(try PersonaID(parsing: text))
            }
        } catch {
            throw IdentityError(.malformed, error.description)
        }
        // Exactly the printed form: what is signed must be what every implementation prints.
        guard description == text else {
            throw IdentityError(.malformed, "'\(text.printable(limit: 100))' is not an id in its printed form (lower case, no spaces)")
        }
    }

    public var bytes: [UInt8] {
        switch self {
        case .node(let id): id.bytes
        case .tcf(let id): id.bytes
        case .tcc(let id): id.bytes
        case .persona(let id): id.bytes
        }
    }

    public var description: String {
        switch self {
        case .node(let id): id.description
        case .tcf(let id): id.description
        case .tcc(let id): id.description
        case .persona(let id): id.description
        }
    }

    /// The key that speaks for this party, for the kinds named by their key. A TCF is named
    /// by random bytes and signs through its owner key, so it has none here.
    public var signingKey: Ed25519.PublicKey? {
        switch self {
        case .node(let id): id.publicKey
        case .tcc(let id): try? Ed25519.PublicKey(rawRepresentation: id.bytes)
        case .persona(let id): try? Ed25519.PublicKey(rawRepresentation: id.bytes)
        case .tcf: nil
        }
    }

    /// Personas and TCCs issue claims and present them; nodes and TCFs only are talked about.
    var canSign: Bool {
        switch self {
        case .tcc, .persona: true
        case .node, .tcf: false
        }
    }
}
