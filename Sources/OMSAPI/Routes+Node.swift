import Foundation
import Hummingbird
import NIOCore
import OMSNode
import OMSProtocol
import OMSStore

extension OwnerAPI {
    func addNodeRoutes(_ v1: RouterGroup<APIContext>) {
        v1.get("node") { _, _ in await node.status() }

        v1.get("node/metrics") { _, _ -> Response in
            var text: [UInt8] = []
            metrics?.emit(into: &text)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: text)))
        }

        v1.get("peers") { _, _ -> [PeerRecord] in
            try await blocking { try node.store?.peers() ?? [] }
        }

        v1.post("peers") { request, context -> EditedResponse<ChangedResponse> in
            try context.requireOwner()
            let body = try await request.decode(as: AddPeerRequest.self, context: context)
            let endpoint = try parse("address") { try Endpoint(parsing: body.address) }
            try await node.addPeer(endpoint)
            return EditedResponse(status: .created, response: ChangedResponse(changed: true))
        }

        v1.delete("peers") { request, context -> ChangedResponse in
            try context.requireOwner()
            guard let address = request.uri.queryParameters.get("address") else {
                throw APIError(.badRequest, code: "invalidArgument", "say which peer with ?address=HOST:PORT")
            }
            let endpoint = try parse("address") { try Endpoint(parsing: address) }
            guard try await node.removePeer(endpoint) else {
                throw APIError(.notFound, code: "notFound", "\(endpoint) is not a known peer")
            }
            return ChangedResponse(changed: true)
        }

        v1.post("notes") { request, context -> SendNoteResponse in
            try context.requireOwner()
            let body = try await request.decode(as: SendNoteRequest.self, context: context)
            return SendNoteResponse(recipients: await node.sendNote(body.text, to: body.to))
        }
    }
}
