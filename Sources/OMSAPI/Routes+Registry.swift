import Foundation
import Hummingbird
import OMSCore
import OMSNode
import OMSStore

extension OwnerAPI {
    func addRegistryRoutes(_ v1: RouterGroup<APIContext>) {
        v1.get("tccs/{tcc}/registry") { _, context -> Registry in
            let reference = try context.parameter("tcc")
            return try await blocking { try host.registry(of: try host.tcc(reference)) }
        }

        v1.post("tccs/{tcc}/relationships") { request, context -> EditedResponse<RelationshipRecord> in
            try context.requireOwner()
            let reference = try context.parameter("tcc")
            let body = try await request.decode(as: RelationshipRequest.self, context: context)
            let peer = try parse("peer") { try PartyID(parsing: body.peer) }
            let record = try await blocking {
                let tcc = try host.tcc(reference)
                return try host.connect(tcc, to: peer, as: try body.persona.map { try host.persona($0, of: tcc) }, label: body.label)
            }
            return EditedResponse(status: .created, response: record)
        }

        v1.post("tccs/{tcc}/memberships") { request, context -> EditedResponse<MembershipRecord> in
            try context.requireOwner()
            let reference = try context.parameter("tcc")
            let body = try await request.decode(as: MembershipRequest.self, context: context)
            let role = try parse("role") { try Name(body.role) }
            let record = try await blocking {
                let tcc = try host.tcc(reference)
                return try host.recordMembership(
                    tcc, of: body.community, as: try body.persona.map { try host.persona($0, of: tcc) }, role: role)
            }
            return EditedResponse(status: .created, response: record)
        }
    }
}
