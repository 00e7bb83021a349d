import Foundation
import Hummingbird
import OMSCore
import OMSNode
import OMSProtocol
import OMSStore

extension AskResult: ResponseEncodable {}

/// The asking side of the exchange: the owner's TCC signs a query, the node sends it to the
/// node that hosts the target (or answers it here), and checks what comes back.
extension OwnerAPI {
    func addAskRoutes(_ v1: RouterGroup<APIContext>) {
        v1.post("tccs/{tcc}/asks") { request, context -> AskResult in
            try context.requireOwner()
            let reference = try context.parameter("tcc")
            let body = try await request.decode(as: AskRequest.self, context: context)
            let question = try parse("question") { try Self.question(body) }
            let (tcc, signed) = try await blocking {
                let tcc = try host.tcc(reference)
                let persona = try body.persona.map { try host.persona($0, of: tcc) }
                return (tcc, try exchange.makeQuery(question, from: tcc, as: persona))
            }
            let node = body.node ?? self.node.id
            let reply: [UInt8]
            if node == self.node.id {
                reply = try await blocking { exchange.respond(to: signed.envelope.bytes) }
            } else {
                do {
                    reply = try await self.node.ask(signed.envelope.bytes, to: node, timeout: .milliseconds(Int64(question.lifetime)))
                } catch let error as QueryDeliveryError {
                    throw APIError(.badGateway, code: "notDelivered", error.description)
                }
            }
            do {
                let outcome = try await blocking { try exchange.receive(reply, for: signed, from: node, in: tcc) }
                return AskResult(query: signed, outcome: outcome)
            } catch let error as ExchangeError {
                // The other node's response does not check out: its fault, not the request's.
                throw APIError(.badGateway, code: error.code.name, "the response from node \(node.short) is not valid: \(error)")
            }
        }
    }

    static func question(_ body: AskRequest) throws -> Exchange.Question {
        let window: Query.Window? = try {
            guard body.from != nil || body.to != nil else { return nil }
            let from = UInt64(max(0, (body.from ?? Date(timeIntervalSince1970: 0)).timeIntervalSince1970 * 1000))
            let to = UInt64(max(0, (body.to ?? Date()).timeIntervalSince1970 * 1000))
            return try Query.Window(from: from, to: to)
        }()
        let region = try Self.region(body.region)
        let seconds = body.validForSeconds ?? 60
        guard (1...300).contains(seconds) else { throw HostingError(.invalidArgument, "a query is valid for 1 to 300 seconds") }
        return Exchange.Question(
            target: body.target, module: try ModuleName(body.module), stream: body.stream, window: window, numbers: body.numbers ?? [],
            region: region, purpose: body.purpose, present: body.present ?? [], lifetime: UInt64(seconds) * 1000)
    }
}
