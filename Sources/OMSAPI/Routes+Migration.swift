import Foundation
import Hummingbird
import OMSCore
import OMSCrypto
import OMSNode
import OMSProtocol
import OMSStore

extension MigrationProgress: ResponseGenerator, ResponseEncodable {}
extension NodeAttestation: ResponseGenerator, ResponseEncodable {}
extension LocationResponse: ResponseGenerator, ResponseEncodable {}

extension OwnerAPI {
    func addMigrationRoutes(_ v1: RouterGroup<APIContext>) {
        /// This node's attestation key and PCRs, for the owner of a TCF that may move here.
        v1.get("node/attestation") { request, _ -> NodeAttestation in
            let migrations = try self.requireMigrations()
            let list = request.uri.queryParameters.get("pcrs") ?? "0,1,2,3,4,5,6,7"
            let pcrs = try parse("pcrs") { () throws -> [Int] in
                let indices = list.split(separator: ",").compactMap { Int($0) }
                guard indices.count == list.split(separator: ",").count, indices.allSatisfy({ (0...23).contains($0) }) else {
                    throw HostingError(.invalidArgument, "PCR indices are 0 to 23, comma-separated")
                }
                return indices
            }
            return try await migrations.attestation(pcrs: pcrs)
        }

        v1.post("tcfs/{tcf}/migrations") { request, context -> EditedResponse<MigrationProgress> in
            try context.requireOwner()
            let migrations = try self.requireMigrations()
            let reference = try context.parameter("tcf")
            let body = try await request.decode(as: MigrateRequest.self, context: context)
            let policy = try parse("policy") { () throws -> MigrationPolicy in
                let keys = try body.allowAttestationKeys.map { text -> [UInt8] in
                    guard let bytes = [UInt8](hexString: text) else { throw HostingError(.invalidArgument, "an attestation key name is hex") }
                    return bytes
                }
                var pcrs: [Int: [UInt8]] = [:]
                for (index, value) in body.pcrs ?? [:] {
                    guard let index = Int(index), let bytes = [UInt8](hexString: value) else {
                        throw HostingError(.invalidArgument, "expected PCRs are {\"INDEX\": \"HEX\"}")
                    }
                    pcrs[index] = bytes
                }
                let policy = MigrationPolicy(attestationKeys: keys, pcrs: pcrs)
                try policy.check()
                return policy
            }
            let tcf = try await blocking { try host.tcf(reference).id }
            let id = try await Self.relayed { try await migrations.start(tcf: tcf, to: body.to, policy: policy) }
            guard let progress = await migrations.status(id) else { throw APIError(.internalServerError, code: "internal", "the migration left no trace") }
            return EditedResponse(status: .accepted, response: progress)
        }

        v1.get("migrations") { _, _ -> [MigrationProgress] in try await self.requireMigrations().statuses() }

        v1.get("migrations/{migration}") { _, context -> MigrationProgress in
            let text = try context.parameter("migration")
            guard let id = MigrationID(hex: text) else { throw APIError(.badRequest, code: "invalidArgument", "a migration id is 32 hex digits") }
            guard let progress = try await self.requireMigrations().status(id) else {
                throw APIError(.notFound, code: "notFound", "no migration \(text) since this node started")
            }
            return progress
        }

        v1.get("tcfs/{tcf}/location") { _, context -> LocationResponse in
            let text = try context.parameter("tcf")
            let tcf = try parse("tcf") { try TCFID(parsing: text) }
            guard let location = try await blocking({ try host.store.tcfLocation(tcf) }) else {
                throw APIError(.notFound, code: "notFound", "this node knows no location of \(tcf.short): it never moved, or its record has not come here")
            }
            return LocationResponse(
                tcf: location.tcf, node: location.node, sequence: location.sequence, atUnixMs: location.atMs, migration: location.migration,
                owner: location.owner.rawRepresentation.hex)
        }
    }

    func requireMigrations() throws -> Migrations {
        guard let migrations else { throw APIError(.serviceUnavailable, code: "unavailable", "this node runs without migrations") }
        return migrations
    }
}
