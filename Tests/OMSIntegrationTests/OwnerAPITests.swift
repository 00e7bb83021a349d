import Foundation
import GRDB
import OMSAPI
import OMSCore
import OMSCrypto
import OMSNode
import OMSProtocol
import OMSStore
import Testing

/// The owner API end to end: a real node, real HTTP over loopback, a real SQLite file.
extension IntegrationTests {
    @Suite struct OwnerAPITests {
        let root = NodeHarness.temporaryDirectory()

        @Test func tokensAreScopedAndKeptOwnerOnly() async throws {
            defer { try? FileManager.default.removeItem(at: root) }
            try await APINode.run(in: root) { node in
                for file in [node.directory.ownerTokenFile, node.directory.readTokenFile] {
                    let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
                    #expect(mode.map { $0 & 0o777 } == 0o600, "\(file.lastPathComponent) is owner-only")
                }
                let missing = await refusal { _ = try await node.anonymous.send(.GET, "/v1/tcfs") }
                #expect(missing?.status == 401 && missing?.code == "unauthorized")
                let wrong = await refusal { _ = try await OwnerAPIClient(endpoint: node.owner.endpoint, token: String(repeating: "0", count: 64)).send(.GET, "/v1/tcfs") }
                #expect(wrong?.status == 401)
                // The read-only token looks but cannot change anything.
                let list: [TCFRecord] = try await node.readOnly.get("/v1/tcfs")
                #expect(list.isEmpty)
                let forbidden = await refusal { let _: TCFRecord = try await node.readOnly.post("/v1/tcfs", CreateTCFRequest(name: "home")) }
                #expect(forbidden?.status == 403 && forbidden?.code == "forbidden")
                #expect(try node.store.tcfs().isEmpty, "the refused request created nothing")
                let unknown = await refusal { _ = try await node.owner.send(.GET, "/v1/nothing-here") }
                #expect(unknown?.status == 404)
            }
        }

        @Test func tcfLifecycleAndBadNames() async throws {
            defer { try? FileManager.default.removeItem(at: root) }
            try await APINode.run(in: root) { node in
                let tcf: TCFRecord = try await node.owner.post("/v1/tcfs", CreateTCFRequest(name: "home"))
                #expect(tcf.state == .running)
                let nodeKey = node.node.id.bytes
                #expect(tcf.ownerKey.count == 32 && Array(tcf.ownerKey) != nodeKey, "the owner key is not the node key")

                let duplicate = await refusal { let _: TCFRecord = try await node.owner.post("/v1/tcfs", CreateTCFRequest(name: "home")) }
                #expect(duplicate?.status == 409 && duplicate?.code == "duplicate")
                for bad in ["", "has space", "-leading", String(repeating: "x", count: 65), "semi;colon", "new\nline"] {
                    let refused = await refusal { let _: TCFRecord = try await node.owner.post("/v1/tcfs", CreateTCFRequest(name: bad)) }
                    #expect(refused?.status == 400 && refused?.code == "invalidName", "'\(bad)' is refused")
                }
                #expect(try node.store.tcfs().count == 1, "refusals created nothing")

                let alice: TCCRecord = try await node.owner.post("/v1/tcfs/home/tccs", CreateTCCRequest(kind: .private, name: "alice"))
                let club: TCCRecord = try await node.owner.post("/v1/tcfs/home/tccs", CreateTCCRequest(kind: .community, name: "garden-club"))
                #expect(alice.kind == .private && club.kind == .community)
                let twice = await refusal { let _: TCCRecord = try await node.owner.post("/v1/tcfs/home/tccs", CreateTCCRequest(kind: .private, name: "alice")) }
                #expect(twice?.status == 409)
                let detail: TCFDetail = try await node.owner.get("/v1/tcfs/\(tcf.id)")
                #expect(detail.tccCount == 2)
                let byName: TCCRecord = try await node.owner.get("/v1/tccs/alice")
                #expect(byName.id == alice.id)

                let stopped: TCFRecord = try await node.owner.post("/v1/tcfs/home/stop", [String: String]())
                #expect(stopped.state == .stopped)
                let whileStopped = await refusal { let _: TCCRecord = try await node.owner.post("/v1/tcfs/home/tccs", CreateTCCRequest(kind: .private, name: "bob")) }
                #expect(whileStopped?.status == 409 && whileStopped?.code == "stopped")
                let started: TCFRecord = try await node.owner.post("/v1/tcfs/home/start", [String: String]())
                #expect(started.state == .running)
                let _: TCCRecord = try await node.owner.post("/v1/tcfs/home/tccs", CreateTCCRequest(kind: .private, name: "bob"))
                let page: [TCCRecord] = try await node.owner.get("/v1/tcfs/home/tccs?limit=2")
                #expect(page.map(\.name.rawValue) == ["alice", "bob"])
                let next: [TCCRecord] = try await node.owner.get("/v1/tcfs/home/tccs?after=bob")
                #expect(next.map(\.name.rawValue) == ["garden-club"])
            }
        }

        @Test func personasAreUnlinkedUntilTheOwnerLinksThem() async throws {
            defer { try? FileManager.default.removeItem(at: root) }
            try await APINode.run(in: root) { node in
                let _: TCFRecord = try await node.owner.post("/v1/tcfs", CreateTCFRequest(name: "home"))
                let alice: TCCRecord = try await node.owner.post("/v1/tcfs/home/tccs", CreateTCCRequest(kind: .private, name: "alice"))
                let club: TCCRecord = try await node.owner.post("/v1/tcfs/home/tccs", CreateTCCRequest(kind: .community, name: "club"))
                let garden: PersonaRecord = try await node.owner.post("/v1/tccs/alice/personas", CreatePersonaRequest(context: "garden-club"))
                let shop: PersonaRecord = try await node.owner.post("/v1/tccs/alice/personas", CreatePersonaRequest(context: "bike-shop"))
                #expect(Set([garden.id.bytes, shop.id.bytes, alice.id.bytes]).count == 3, "each persona has its own key")
                let again = await refusal { let _: PersonaRecord = try await node.owner.post("/v1/tccs/alice/personas", CreatePersonaRequest(context: "bike-shop")) }
                #expect(again?.status == 409)
                let onCommunity = await refusal { let _: PersonaRecord = try await node.owner.post("/v1/tccs/\(club.id)/personas", CreatePersonaRequest(context: "x")) }
                #expect(onCommunity?.status == 403 && onCommunity?.code == "notAllowed")

                let link: PersonaLinkRecord = try await node.owner.post(
                    "/v1/tccs/alice/persona-links", LinkPersonasRequest(first: "garden-club", second: shop.id.description))
                let opened = try PersonaLink(opening: Array(link.envelope))
                #expect(opened.first == garden.id && opened.second == shop.id, "both personas signed the link")
                let links: [PersonaLinkRecord] = try await node.readOnly.get("/v1/tccs/alice/persona-links")
                #expect(links.count == 1)
            }
        }

        @Test func claimsAreIssuedHeldPresentedVerifiedAndRevoked() async throws {
            defer { try? FileManager.default.removeItem(at: root) }
            try await APINode.run(in: root) { node in
                let _: TCFRecord = try await node.owner.post("/v1/tcfs", CreateTCFRequest(name: "home"))
                let _: TCCRecord = try await node.owner.post("/v1/tcfs/home/tccs", CreateTCCRequest(kind: .private, name: "alice"))
                let _: TCCRecord = try await node.owner.post("/v1/tcfs/home/tccs", CreateTCCRequest(kind: .private, name: "bob"))
                let bobShop: PersonaRecord = try await node.owner.post("/v1/tccs/bob/personas", CreatePersonaRequest(context: "bike-shop"))
                let _: PersonaRecord = try await node.owner.post("/v1/tccs/alice/personas", CreatePersonaRequest(context: "registry"))

                let issued: ClaimRecord = try await node.owner.post(
                    "/v1/tccs/alice/claims",
                    IssueClaimRequest(persona: "registry", subject: bobShop.id.description, type: "age.over-18", value: "yes", validForSeconds: 3600, revocable: true))
                #expect(issued.role == .issued && issued.revocable)

                // A forged copy is refused and nothing is kept.
                var forged = Array(issued.envelope)
                forged[forged.count - 30] ^= 1
                let refused = await refusal { let _: ClaimRecord = try await node.owner.post("/v1/tccs/bob/held-claims", EnvelopeBody(envelope: Data(forged))) }
                #expect(refused?.status == 422 && refused?.code == "badSignature")
                #expect(try node.host.claims(of: try node.host.tcc("bob")).isEmpty)
                // A claim about someone else is not Bob's to hold.
                let notBobs = await refusal { let _: ClaimRecord = try await node.owner.post("/v1/tccs/alice/held-claims", EnvelopeBody(envelope: issued.envelope)) }
                #expect(notBobs?.status == 403)

                let held: ClaimRecord = try await node.owner.post("/v1/tccs/bob/held-claims", EnvelopeBody(envelope: issued.envelope))
                #expect(held.id == issued.id && held.role == .held)

                let nonce = SecureRandom.bytes(32)
                let presentation: EnvelopeBody = try await node.owner.post(
                    "/v1/tccs/bob/claims/\(held.id)/presentations", PresentRequest(audience: "bike-shop", nonce: nonce.map { String(format: "%02x", $0) }.joined()))
                let hex = nonce.map { String(format: "%02x", $0) }.joined()
                let good: Verification = try await node.readOnly.post("/v1/verifications", VerifyRequest(envelope: presentation.envelope, audience: "bike-shop", nonce: hex))
                #expect(good.valid && good.kind == "presentation" && good.presenter == bobShop.id.description)
                let otherNonce: Verification = try await node.readOnly.post(
                    "/v1/verifications", VerifyRequest(envelope: presentation.envelope, audience: "bike-shop", nonce: String(repeating: "00", count: 32)))
                #expect(!otherNonce.valid && otherNonce.error?.code == "wrongNonce")
                let otherAudience: Verification = try await node.readOnly.post(
                    "/v1/verifications", VerifyRequest(envelope: presentation.envelope, audience: "pub", nonce: hex))
                #expect(otherAudience.error?.code == "wrongAudience")

                let revocation: EnvelopeBody = try await node.owner.post("/v1/tccs/alice/claims/\(issued.id)/revocation", [String: String]())
                #expect(try ClaimRevocation(opening: Array(revocation.envelope)).revocationID == (try SignedClaim(opening: Array(issued.envelope))).claim.revocationID)
                let revoked: Verification = try await node.readOnly.post("/v1/verifications", VerifyRequest(envelope: issued.envelope, audience: nil, nonce: nil))
                #expect(!revoked.valid && revoked.error?.code == "revoked")
                let listed: [ClaimRecord] = try await node.readOnly.get("/v1/tccs/bob/claims?role=held")
                #expect(listed.first?.revoked == true)
                let bobCannotRevoke = await refusal { let _: EnvelopeBody = try await node.owner.post("/v1/tccs/bob/claims/\(issued.id)/revocation", [String: String]()) }
                #expect(bobCannotRevoke?.status == 404, "only the issuer revokes")

                // Expiry: a claim valid for a minute is refused once the clock passes it.
                let brief: ClaimRecord = try await node.owner.post(
                    "/v1/tccs/alice/claims",
                    IssueClaimRequest(persona: nil, subject: bobShop.id.description, type: "guest", value: "", validForSeconds: 60, revocable: false))
                let fresh: Verification = try await node.readOnly.post("/v1/verifications", VerifyRequest(envelope: brief.envelope, audience: nil, nonce: nil))
                #expect(fresh.valid && fresh.claim?.issuer.hasPrefix("tcc1") == true, "issued by the TCC's root key")
                node.clock.advance(61)
                let expired: Verification = try await node.readOnly.post("/v1/verifications", VerifyRequest(envelope: brief.envelope, audience: nil, nonce: nil))
                #expect(!expired.valid && expired.error?.code == "expired")
                let lateHold = await refusal { let _: ClaimRecord = try await node.owner.post("/v1/tccs/bob/held-claims", EnvelopeBody(envelope: brief.envelope)) }
                #expect(lateHold?.code == "expired")
            }
        }

        @Test func signInWithATCC() async throws {
            defer { try? FileManager.default.removeItem(at: root) }
            try await APINode.run(in: root) { node in
                let _: TCFRecord = try await node.owner.post("/v1/tcfs", CreateTCFRequest(name: "home"))
                let _: TCCRecord = try await node.owner.post("/v1/tcfs/home/tccs", CreateTCCRequest(kind: .private, name: "alice"))
                let challenge: ChallengeBody = try await node.anonymous.post("/v1/public/apps/garden-board/challenges", [String: String]())
                #expect(challenge.audience == "garden-board")
                let answer: SignInAnswer = try await node.owner.post("/v1/tccs/alice/sign-ins", SignInRequest(challenge: challenge, persona: nil))
                let personas: [PersonaRecord] = try await node.owner.get("/v1/tccs/alice/personas")
                #expect(personas.map(\.context.rawValue) == ["garden-board"] && personas.first?.id == answer.persona, "a persona for the app, made on first use")

                let session: SessionBody = try await node.anonymous.post("/v1/public/apps/garden-board/sessions", EnvelopeBody(envelope: answer.envelope))
                #expect(session.persona == answer.persona)
                let token = try #require(session.token)
                let check: SessionBody = try await OwnerAPIClient(endpoint: node.owner.endpoint, token: token).get("/v1/public/apps/garden-board/session")
                #expect(check.persona == answer.persona)
                let otherApp = await refusal { _ = try await OwnerAPIClient(endpoint: node.owner.endpoint, token: token).send(.GET, "/v1/public/apps/pub/session") }
                #expect(otherApp?.status == 401, "a session is for its app only")

                let replay = await refusal { let _: SessionBody = try await node.anonymous.post("/v1/public/apps/garden-board/sessions", EnvelopeBody(envelope: answer.envelope)) }
                #expect(replay?.status == 422 && replay?.code == "replayed")
                let elsewhere: ChallengeBody = try await node.anonymous.post("/v1/public/apps/pub/challenges", [String: String]())
                let _ = elsewhere
                let wrongApp = await refusal { let _: SessionBody = try await node.anonymous.post("/v1/public/apps/pub/sessions", EnvelopeBody(envelope: answer.envelope)) }
                #expect(wrongApp?.code == "wrongAudience")

                let late: ChallengeBody = try await node.anonymous.post("/v1/public/apps/garden-board/challenges", [String: String]())
                let lateAnswer: SignInAnswer = try await node.owner.post("/v1/tccs/alice/sign-ins", SignInRequest(challenge: late, persona: nil))
                node.clock.advance(Double(SignInChallenge.lifetime) + 1)
                let expired = await refusal { let _: SessionBody = try await node.anonymous.post("/v1/public/apps/garden-board/sessions", EnvelopeBody(envelope: lateAnswer.envelope)) }
                #expect(expired?.code == "expired" || expired?.code == "unknownNonce", "a lapsed challenge is refused: \(String(describing: expired))")
                node.clock.advance(AppSignIns.sessionLifetime)
                let stale = await refusal { _ = try await OwnerAPIClient(endpoint: node.owner.endpoint, token: token).send(.GET, "/v1/public/apps/garden-board/session") }
                #expect(stale?.status == 401, "sessions are short-lived")

                let audit: [AuditEntryBody] = try await node.owner.get("/v1/tccs/alice/audit?kind=login")
                #expect(audit.count == 2 && audit.allSatisfy { $0.detail.contains("garden-board") })
            }
        }

        @Test func badRequestsGetClearRefusals() async throws {
            defer { try? FileManager.default.removeItem(at: root) }
            try await APINode.run(in: root) { node in
                let notJSON = await refusal { _ = try await node.owner.send(.POST, "/v1/tcfs", body: Array("{not json".utf8)) }
                #expect(notJSON?.status == 400)
                let wrongShape = await refusal { _ = try await node.owner.send(.POST, "/v1/tcfs", body: Array("{\"nom\":\"x\"}".utf8)) }
                #expect(wrongShape?.status == 400 && wrongShape?.message.contains("name") == true)
                let huge = await refusal { _ = try await node.owner.send(.POST, "/v1/tcfs", body: Array(repeating: UInt8(ascii: " "), count: 2 << 20)) }
                #expect(huge?.status == 413)
                let noTCF = await refusal { let _: TCFDetail = try await node.owner.get("/v1/tcfs/nowhere") }
                #expect(noTCF?.status == 404 && noTCF?.code == "notFound")
                let badID = await refusal { let _: EnvelopeBody = try await node.owner.post("/v1/tccs/x/claims/obj1nonsense/revocation", [String: String]()) }
                #expect(badID?.status == 400)
                let status: NodeStatus = try await node.owner.get("/v1/node")
                #expect(status.nodeID == node.node.id, "the node still answers")
            }
        }
    }
}
