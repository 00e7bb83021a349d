import ArgumentParser
import Foundation
import OMSAPI
import OMSStore

struct ClaimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "claim", abstract: "Signed claims: issue them, hold others', present, verify and revoke.",
        subcommands: [Issue.self, List.self, Hold.self, Present.self, Verify.self, Revoke.self])

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue a signed claim about someone.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @OptionGroup var tcc: TCCOptions
        @Option(name: .customLong("as"), help: ArgumentHelp("Issue as this persona (id or context) instead of the TCC's root key.", valueName: "persona"))
        var persona: String?
        @Option(help: "Whom the claim is about: a persona, TCC, node or TCF id.") var subject: String
        @Option(help: "What it states, e.g. age.over-18 (a-z 0-9 / . _ -).") var type: String
        @Option(help: "Its value (UTF-8, up to 4096 bytes).") var value: String = ""
        @Option(help: "How long it holds: 45s, 90m, 12h, 30d.") var validFor: String = "365d"
        @Flag(help: "Give it a revocation id, so it can be revoked before it expires.") var revocable = false
        @Option(help: "Write the signed claim (oms/claim envelope) to this file.") var out: String?

        func run() async throws {
            let record: ClaimRecord = try await dataDir.client().send(
                .POST, apiPath("tccs", tcc.tcc, "claims"),
                json: IssueClaimRequest(
                    persona: persona, subject: subject, type: type, value: value, validForSeconds: try parseDuration(validFor),
                    revocable: revocable))
            if let out { try writePrivateFile(record.envelope, to: out) }
            print("issued claim \(record.id) (\(record.type) about \(record.subject))\(out.map { " to \($0)" } ?? "")")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the claims a TCC issued and holds.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @OptionGroup var tcc: TCCOptions
        @Option(help: "issued or held.") var role: String?
        @Option(help: "Only claims of this type.") var type: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let claims: [ClaimRecord] = try await dataDir.client().get(apiPath("tccs", tcc.tcc, "claims", query: ["role": role, "type": type]))
            if json { return try printJSON(claims) }
            if claims.isEmpty { print("no claims") }
            for claim in claims {
                let state = claim.revoked ? "revoked" : (claim.expires <= UInt64(Date().timeIntervalSince1970) ? "expired" : "valid")
                print(column(claim.role.rawValue, 7) + column(claim.type.rawValue, 20) + column(state, 8) + column(claim.value, 12) + claim.id.description)
            }
        }
    }

    struct Hold: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Keep a claim someone issued about this TCC or one of its personas.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @OptionGroup var tcc: TCCOptions
        @Argument(help: "The signed claim's file.") var file: String

        func run() async throws {
            let record: ClaimRecord = try await dataDir.client().send(
                .POST, apiPath("tccs", tcc.tcc, "held-claims"), json: EnvelopeBody(envelope: try readFile(file)))
            print("holding claim \(record.id) (\(record.type) by \(record.issuer))")
        }
    }

    struct Present: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Present a held claim to a verifier: signed by its subject for that audience and nonce.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @OptionGroup var tcc: TCCOptions
        @Argument(help: "The claim's id (obj1...).") var claim: String
        @Option(help: "Whom it is for, as the verifier names itself.") var audience: String
        @Option(help: "The verifier's nonce: 32 bytes of hex.") var nonce: String
        @Option(help: "Write the presentation to this file.") var out: String

        func run() async throws {
            let body: EnvelopeBody = try await dataDir.client().send(
                .POST, apiPath("tccs", tcc.tcc, "claims", claim, "presentations"), json: PresentRequest(audience: audience, nonce: nonce))
            try writePrivateFile(body.envelope, to: out)
            print("presentation for \(audience) in \(out)")
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify a claim or presentation file: signature, expiry, revocation (and audience and nonce). Exits 1 if invalid.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @Argument(help: "The claim or presentation file.") var file: String
        @Option(help: "For a presentation: the audience it must be for.") var audience: String?
        @Option(help: "For a presentation: the nonce you gave (hex).") var nonce: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let verdict: Verification = try await dataDir.client().send(
                .POST, apiPath("verifications"), json: VerifyRequest(envelope: try readFile(file), audience: audience, nonce: nonce))
            if json {
                try printJSON(verdict)
            } else if verdict.valid, let claim = verdict.claim {
                print("valid \(verdict.kind): \(claim.type) = '\(claim.value)' about \(claim.subject), by \(claim.issuer), until \(Date(timeIntervalSince1970: Double(claim.expires)).formatted(.iso8601))")
            } else {
                print("INVALID \(verdict.kind): \(verdict.error?.message ?? "?") (\(verdict.error?.code ?? "?"))")
            }
            if !verdict.valid { throw ExitCode(1) }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a claim this TCC issued (it must have been issued --revocable).")
        @OptionGroup var dataDir: DataDirectoryOptions
        @OptionGroup var tcc: TCCOptions
        @Argument(help: "The claim's id (obj1...).") var claim: String
        @Option(help: "Write the signed revocation to this file, to hand to verifiers.") var out: String?

        func run() async throws {
            let body: EnvelopeBody = try await dataDir.client().send(
                .POST, apiPath("tccs", tcc.tcc, "claims", claim, "revocation"), json: [String: String]())
            if let out { try writePrivateFile(body.envelope, to: out) }
            print("revoked \(claim)\(out.map { "; revocation in \($0)" } ?? "")")
        }
    }
}

struct RevocationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revocation", abstract: "Revocations other issuers published.", subcommands: [Add.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Learn a signed revocation, so claims it names verify as revoked.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @Argument(help: "The revocation file.") var file: String

        func run() async throws {
            let _: ChangedResponse = try await dataDir.client().send(.POST, apiPath("revocations"), json: EnvelopeBody(envelope: try readFile(file)))
            print("revocation recorded")
        }
    }
}
