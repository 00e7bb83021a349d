import Foundation
import Hummingbird
import NIOCore
import OMSCore
import OMSNode
import OMSStore

extension OwnerAPI {
    /// An archive (a whole TCF, sealed) may be far larger than a JSON request.
    static let maximumArchiveUpload = 512 << 20

    func addTCFRoutes(_ v1: RouterGroup<APIContext>) {
        v1.get("tcfs") { _, _ -> [TCFRecord] in try await blocking { try host.tcfs() } }

        v1.post("tcfs") { request, context -> EditedResponse<TCFRecord> in
            try context.requireOwner()
            let body = try await request.decode(as: CreateTCFRequest.self, context: context)
            let name = try parse("name") { try Name(body.name) }
            return EditedResponse(status: .created, response: try await blocking { try host.createTCF(name: name) })
        }

        v1.get("tcfs/{tcf}") { _, context -> TCFDetail in
            let reference = try context.parameter("tcf")
            return try await blocking {
                let tcf = try host.tcf(reference)
                return TCFDetail(tcf: tcf, tccCount: try host.store.tccCount(tcf: tcf.id))
            }
        }

        v1.post("tcfs/{tcf}/stop") { _, context -> TCFRecord in
            try context.requireOwner()
            let reference = try context.parameter("tcf")
            return try await blocking { try host.stop(try host.tcf(reference).id) }
        }

        v1.post("tcfs/{tcf}/start") { _, context -> TCFRecord in
            try context.requireOwner()
            let reference = try context.parameter("tcf")
            return try await blocking { try host.start(try host.tcf(reference).id) }
        }

        v1.post("tcfs/{tcf}/archive") { request, context -> Response in
            try context.requireOwner()
            let reference = try context.parameter("tcf")
            let body = try await request.decode(as: ArchiveRequest.self, context: context)
            let bytes = try await blocking { try host.archive(try host.tcf(reference).id, passphrase: body.passphrase) }
            return Response(
                status: .ok, headers: [.contentType: "application/octet-stream"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }

        // Removal is its own request, made by the client once it holds a verified archive.
        v1.delete("tcfs/{tcf}") { _, context -> ChangedResponse in
            try context.requireOwner()
            let reference = try context.parameter("tcf")
            try await blocking { try host.remove(try host.tcf(reference).id) }
            return ChangedResponse(changed: true)
        }

        v1.post("tcf-archives") { request, context -> EditedResponse<TCFRecord> in
            try context.requireOwner()
            let collected = try await request.body.collect(upTo: Self.maximumArchiveUpload)
            let body: RestoreRequest
            do {
                body = try JSONDecoder.api.decode(RestoreRequest.self, from: Data(collected.readableBytesView))
            } catch {
                throw APIError(.badRequest, code: "badRequest", "the body must be {\"passphrase\": ..., \"archive\": base64}: \(error)")
            }
            let record = try await blocking { try host.restore(Array(body.archive), passphrase: body.passphrase) }
            return EditedResponse(status: .created, response: record)
        }

        v1.get("tcfs/{tcf}/tccs") { request, context -> [TCCRecord] in
            let reference = try context.parameter("tcf")
            let after = try request.uri.queryParameters.get("after").map { text in try parse("after") { try Name(text) } }
            let limit = request.uri.queryParameters.get("limit").flatMap { Int($0) } ?? 100
            return try await blocking { try host.tccs(in: try host.tcf(reference).id, after: after, limit: limit) }
        }

        v1.post("tcfs/{tcf}/tccs") { request, context -> EditedResponse<TCCRecord> in
            try context.requireOwner()
            let reference = try context.parameter("tcf")
            let body = try await request.decode(as: CreateTCCRequest.self, context: context)
            let name = try parse("name") { try Name(body.name) }
            let record = try await blocking { try host.createTCC(in: try host.tcf(reference).id, kind: body.kind, name: name) }
            return EditedResponse(status: .created, response: record)
        }
    }
}
