import Foundation
import Hummingbird
import OMSCore
import OMSNode
import OMSProtocol
import OMSStore

/// The Policy Administration Point over HTTP: named, versioned YAML documents per TCC, and a
/// dry run of the rule engine against them.
extension OwnerAPI {
    func addPolicyRoutes(_ v1: RouterGroup<APIContext>) {
        v1.get("tccs/{tcc}/policies") { _, context -> [PolicyRecord] in
            let reference = try context.parameter("tcc")
            return try await blocking { try host.policies(of: try host.tcc(reference)) }
        }

        v1.put("tccs/{tcc}/policies/{name}") { request, context -> PolicyRecord in
            try context.requireOwner()
            let reference = try context.parameter("tcc")
            let name = try parse("policy name") { try Name(try context.parameter("name")) }
            let body = try await request.decode(as: SetPolicyRequest.self, context: context)
            return try await blocking { try host.setPolicy(try host.tcc(reference), name: name, yaml: body.yaml) }
        }

        /// Every version, oldest first; `?version=N` for one.
        v1.get("tccs/{tcc}/policies/{name}") { request, context -> [PolicyRecord] in
            let reference = try context.parameter("tcc")
            let name = try parse("policy name") { try Name(try context.parameter("name")) }
            let version = request.uri.queryParameters.get("version").flatMap { Int($0) }
            let versions = try await blocking { try host.policyVersions(try host.tcc(reference), name: name) }
            guard let version else { return versions }
            guard let one = versions.first(where: { $0.version == version }) else {
                throw APIError(.notFound, code: "notFound", "policy \(name) has versions 1 to \(versions.count)")
            }
            return [one]
        }

        v1.delete("tccs/{tcc}/policies/{name}") { _, context -> ChangedResponse in
            try context.requireOwner()
            let reference = try context.parameter("tcc")
            let name = try parse("policy name") { try Name(try context.parameter("name")) }
            try await blocking { try host.removePolicy(try host.tcc(reference), name: name) }
            return ChangedResponse(changed: true)
        }

        v1.post("tccs/{tcc}/policy-tests") { request, context -> PolicyDecisionBody in
            let reference = try context.parameter("tcc")
            let body = try await request.decode(as: PolicyTestRequest.self, context: context)
            let policyRequest = try parse("query") { try Self.policyRequest(body, now: host.now()) }
            return PolicyDecisionBody(try await blocking { try host.decide(policyRequest, for: try host.tcc(reference)) })
        }
    }

    static func policyRequest(_ body: PolicyTestRequest, now: Date) throws -> PolicyRequest {
        let party = try PartyID(parsing: body.requester)
        var requester = PolicyRequest.Requester(memberships: Set(body.memberOf ?? []))
        switch party {
        case .persona(let id): requester.persona = id
        case .tcc(let id): requester.tcc = id
        default: throw HostingError(.invalidArgument, "the requester is a persona or TCC id")
        }
        requester.claims = try (body.claims ?? []).map { text in
            let parts = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            return PolicyRequest.HeldClaim(type: try ClaimType(parts[0]), issuer: parts.count > 1 ? parts[1] : "")
        }
        let window: TimeWindow? = try {
            guard body.from != nil || body.to != nil else { return nil }
            return try TimeWindow(from: body.from ?? .distantPast, to: body.to ?? now)
        }()
        let region = try Self.region(body.region)
        return PolicyRequest(
            requester: requester, action: body.action, stream: body.stream, module: body.module, window: window, region: region,
            purpose: body.purpose, now: now)
    }
}
