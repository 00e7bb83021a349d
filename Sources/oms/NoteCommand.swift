import ArgumentParser
import OMSAPI
import OMSNode
import OMSProtocol

struct NoteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "note", abstract: "Signed notes between nodes.", subcommands: [Send.self])

    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign TEXT with the node's identity and send it to one peer or to all.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @Option(help: "The node id of the one peer to send to (default: every connected peer).") var to: String?
        @Argument(help: "The text to send.") var text: String

        func run() async throws {
            let recipient: NodeID?
            do {
                recipient = try to.map { try NodeID(parsing: $0) }
            } catch {
                throw ValidationError("--to: \(error)")
            }
            let response: SendNoteResponse = try await dataDir.client().send(.POST, "/v1/notes", json: SendNoteRequest(text: text, to: recipient))
            let recipients = response.recipients
            guard !recipients.isEmpty else { throw ValidationError("no connected peer received the note") }
            print("signed and sent to \(recipients.map(\.short).joined(separator: ", "))")
        }
    }
}
