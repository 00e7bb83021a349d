import Foundation
import Hummingbird
import NIOCore
import NIOPosix
import OMSCore
import OMSNode
import OMSProtocol
import OMSStore

extension ImportReport: ResponseGenerator, ResponseEncodable {}

/// The owner's export (a stream of JSON lines, written a stream of records at a time so that a
/// large store is not built in memory first) and its import into a fresh TCC.
extension OwnerAPI {
    static let maximumImport = 1 << 30

    func addExportRoutes(_ v1: RouterGroup<APIContext>) {
        v1.get("tccs/{tcc}/export") { _, context -> Response in
            // The export is everything: only the owner takes it away.
            try context.requireOwner()
            let reference = try context.parameter("tcc")
            let (tcc, preamble, streams) = try await blocking {
                let tcc = try host.tcc(reference)
                return (tcc, try host.exportPreamble(of: tcc), try host.exportedStreams(of: tcc))
            }
            let exporter = host
            return Response(
                status: .ok, headers: [.contentType: "application/x-ndjson"],
                body: ResponseBody { writer in
                    try await writer.write(ByteBuffer(bytes: preamble))
                    var lines = preamble.reduce(0) { $0 + ($1 == 0x0a ? 1 : 0) }
                    var records = 0
                    for stream in streams {
                        let chunk = try await NIOThreadPool.singleton.runIfActive { try exporter.exportRecords(of: tcc, stream: stream) }
                        records += chunk.count
                        lines += chunk.count
                        try await writer.write(ByteBuffer(bytes: chunk.lines))
                    }
                    let (total, counted) = (records, lines)
                    let trailer = try await NIOThreadPool.singleton.runIfActive { try exporter.exportTrailer(records: total, lines: counted) }
                    try await writer.write(ByteBuffer(bytes: trailer))
                    try await writer.finish(nil)
                })
        }

        v1.post("tccs/{tcc}/import") { request, context -> EditedResponse<ImportReport> in
            try context.requireOwner()
            let reference = try context.parameter("tcc")
            let body = Array(try await request.body.collect(upTo: Self.maximumImport).readableBytesView)
            let report = try await blocking { try host.importExport(body, into: try host.tcc(reference)) }
            return EditedResponse(status: .created, response: report)
        }
    }
}
