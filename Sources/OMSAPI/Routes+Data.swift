import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OMSCore
import OMSNode
import OMSProtocol
import OMSStore

/// The personal data store: devices push batches to `/v1/ingest` with their own token; the
/// owner manages devices and streams under the TCC.
extension OwnerAPI {
    /// Device batches: JSON (an array of records) or NDJSON (a record a line), with the
    /// device's token and a batch id in `Idempotency-Key`. 201 once committed; the same batch
    /// id again is 200 with the first receipt and nothing written.
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!

    func addIngestRoute(_ router: Router<APIContext>) {
        router.post("v1/ingest") { request, context -> EditedResponse<IngestReceipt> in
            guard let token = BearerAuthentication.token(in: request).map(String.init) else {
                throw APIError(
                    .unauthorized, code: "unauthorized", "send 'Authorization: Bearer omsd_…' with the token 'oms device add' printed",
                    headers: [.wwwAuthenticate: "Bearer realm=\"oms-ingest\""])
            }
            guard let device = try await blocking({ try host.device(token: token) }) else {
                throw APIError(
                    .unauthorized, code: "unauthorized", "this device token is not known here (removed, or for another node)",
                    headers: [.wwwAuthenticate: "Bearer realm=\"oms-ingest\", error=\"invalid_token\""])
            }
            guard let batch = request.headers[Self.idempotencyKey] else {
                throw APIError(.badRequest, code: "invalidArgument", "send a batch id in the Idempotency-Key header, so a retry is not stored twice")
            }
            let contentType = request.headers[.contentType]?.lowercased() ?? ""
            let format: IngestBatch.Format
            if contentType.hasPrefix("application/x-ndjson") || contentType.hasPrefix("application/ndjson") || contentType.hasPrefix("application/jsonl") {
                format = .ndjson
            } else if contentType.hasPrefix("application/json") {
                format = .json
            } else {
                throw APIError(
                    .unsupportedMediaType, code: "unsupportedMediaType", "send application/json (an array of records) or application/x-ndjson")
            }
            let body = try await request.body.collect(upTo: IngestBatch.maximumBytes)
            let bytes = Array(body.readableBytesView)
            let receipt = try await blocking { try host.ingest(bytes, format: format, batch: batch, from: device) }
            return EditedResponse(status: receipt.duplicate ? .ok : .created, response: receipt)
        }
    }

    func addDataRoutes(_ v1: RouterGroup<APIContext>) {
        v1.get("tccs/{tcc}/devices") { _, context -> [DeviceRecord] in
            let reference = try context.parameter("tcc")
            return try await blocking { try host.devices(of: try host.tcc(reference)) }
        }

        v1.post("tccs/{tcc}/devices") { request, context -> EditedResponse<AddedDevice> in
            try context.requireOwner()
            let reference = try context.parameter("tcc")
            let body = try await request.decode(as: AddDeviceRequest.self, context: context)
            let name = try parse("name") { try Name(body.name) }
            let streams = try parse("streams") { try body.streams.map { try StreamName($0) } }
            let (device, token) = try await blocking { try host.addDevice(to: try host.tcc(reference), name: name, streams: streams) }
            return EditedResponse(status: .created, response: AddedDevice(device: device, token: token))
        }

        v1.delete("tccs/{tcc}/devices/{name}") { _, context -> ChangedResponse in
            try context.requireOwner()
            let reference = try context.parameter("tcc")
            let name = try parse("device") { try Name(try context.parameter("name")) }
            try await blocking { try host.removeDevice(name, from: try host.tcc(reference)) }
            return ChangedResponse(changed: true)
        }

        v1.get("tccs/{tcc}/streams") { _, context -> [StreamBody] in
            let reference = try context.parameter("tcc")
            return try await blocking {
                let tcc = try host.tcc(reference)
                let summaries = Dictionary(uniqueKeysWithValues: try host.streamSummaries(of: tcc).map { ($0.stream, $0) })
                return try host.streams(of: tcc).sorted { $0.key < $1.key }.map { name, schema in
                    let summary = summaries[name]
                    return StreamBody(
                        name: name, builtIn: StreamSchema.builtIn(name) != nil, schema: schema, records: summary?.records ?? 0,
                        first: summary.map { Date(timeIntervalSince1970: Double($0.first) / 1000) },
                        last: summary.map { Date(timeIntervalSince1970: Double($0.last) / 1000) })
                }
            }
        }

        v1.put("tccs/{tcc}/streams/{name}") { request, context -> StreamRecord in
            try context.requireOwner()
            let reference = try context.parameter("tcc")
            let name = try parse("stream") { try StreamName(try context.parameter("name")) }
            let schema = try await request.decode(as: StreamSchema.self, context: context)
            return try await blocking { try host.declareStream(try host.tcc(reference), name: name, schema: schema) }
        }
    }
}
