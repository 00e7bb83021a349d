import ArgumentParser
import Foundation
import OMSAPI
import OMSProtocol

struct SignInCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signin",
        abstract: "Sign in to an app with your TCC: the app's challenge, answered by your persona for that app.")

    @OptionGroup var dataDir: DataDirectoryOptions
    @OptionGroup var tcc: TCCOptions
    @Argument(help: "The app's name.") var app: String
    @Option(help: "HOST:PORT of the API of the node serving the app.") var at: String
    @Option(help: "Answer as this persona (id or context); by default the persona named after the app, made on first use.")
    var persona: String?
    @Option(help: "Also write the signed answer to this file.") var answerOut: String?

    func run() async throws {
        let endpoint = try parseEndpoint(at, option: "--at")
        let appClient = OwnerAPIClient(endpoint: endpoint, token: "")
        let challenge: ChallengeBody = try await appClient.send(.POST, apiPath("public", "apps", app, "challenges"), json: [String: String]())
        let answer: SignInAnswer = try await dataDir.client().send(
            .POST, apiPath("tccs", tcc.tcc, "sign-ins"), json: SignInRequest(challenge: challenge, persona: persona))
        if let answerOut { try writePrivateFile(answer.envelope, to: answerOut) }
        let session: SessionBody = try await appClient.send(.POST, apiPath("public", "apps", app, "sessions"), json: EnvelopeBody(envelope: answer.envelope))
        print("signed in to \(app) as \(session.persona) until \(session.expires.formatted(.iso8601))")
        print("session token: \(session.token ?? "-")")
    }
}
