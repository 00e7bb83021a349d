import OMSCrypto
import OMSProtocol

/// What came back for a query: an answer from its target, or a refusal.
public enum QueryOutcome: Hashable, Sendable {
    case answer(SignedAnswer)
    case refusal(SignedRefusal)

    /// The envelope as received, for the asker's audit log.
    public var envelope: Envelope {
        switch self {
        case .answer(let answer): answer.envelope
        case .refusal(let refusal): refusal.envelope
        }
    }
}

/// The asker's check of what a `QueryResponse` carries (protocol-spec/README.md section 13,
/// "Checking an answer"), given the query it sent and the node it sent it to. In order:
///
/// 1. open the envelope as `oms/answer` or `oms/refusal`, each with its own maximum payload
///    (`malformed`, `wrongType` for any other type, `badSignature`);
/// 2. decode the payload (`malformed`); an answer's target must be its signer (`signerMismatch`);
/// 3. it names the object id of the query sent (`wrongQuery`);
/// 4. an answer is from the query's target TCC; a refusal is signed by that TCC or by the node
///    the query went to (`signerMismatch`).
///
/// Any node can be asked about any TCC, so without step 4 a node could answer for a TCC it
/// does not host; a refusal by the node is allowed because a node that does not host the
/// target (or could not read the query) has no other key to sign with.
public struct AnswerCheck: Sendable {
    public let query: SignedQuery
    public let node: NodeID

    public init(query: SignedQuery, sentTo node: NodeID) {
        self.query = query
        self.node = node
    }

    public func check(_ bytes: [UInt8]) throws(ExchangeError) -> QueryOutcome {
        // The type decides which layout and limit apply; the larger limit only bounds this peek.
        let type: EnvelopeType
        do {
            type = try Envelope(decoding: bytes, maximumPayload: max(Answer.maximumPayload, Refusal.maximumPayload)).type
        } catch {
            throw ExchangeError(error)
        }
        let target = query.query.target
        switch type {
        case Answer.type:
            let signed = try SignedAnswer.open(bytes)
            try requireQuery(signed.answer.query)
            guard signed.answer.target == target else {
                throw ExchangeError(.signerMismatch, "the answer is from \(signed.answer.target), not the TCC asked (\(target))")
            }
            return .answer(signed)
        case Refusal.type:
            let signed = try SignedRefusal.open(bytes)
            try requireQuery(signed.refusal.query)
            let signer = signed.envelope.signer.rawRepresentation
            guard signer == target.bytes || signer == node.bytes else {
                throw ExchangeError(
                    .signerMismatch, "the refusal is signed by neither the TCC asked (\(target)) nor the node asked (\(node))")
            }
            return .refusal(signed)
        default:
            throw ExchangeError(.wrongType, "expected an envelope of type \(Answer.type) or \(Refusal.type), got \(type)")
        }
    }

    private func requireQuery(_ id: ObjectID) throws(ExchangeError) {
        guard id == query.id else { throw ExchangeError(.wrongQuery, "it answers \(id), not the query sent (\(query.id))") }
    }
}
