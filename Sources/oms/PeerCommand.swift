import ArgumentParser
import OMSAPI
import OMSNode
import OMSProtocol
import OMSStore

struct PeerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peer", abstract: "The peers a node dials. Works on a running node or on a stopped one.",
        subcommands: [Add.self, List.self, Remove.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Dial HOST:PORT now (if running) and at every start.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @Argument(help: "HOST:PORT of the peer.") var address: String

        func run() async throws {
            let endpoint = try parseEndpoint(address, option: "address")
            do {
                let _: ChangedResponse = try await dataDir.client().send(.POST, "/v1/peers", json: AddPeerRequest(address: endpoint.description))
                print("added \(endpoint); the running node is dialling it")
            } catch let error as NodeError where error.code == .notRunning {
                let added = try NodeStore(directory: dataDir.directory).addPeer(endpoint, source: .configured)
                print(added ? "added \(endpoint); the node dials it when it starts" : "\(endpoint) was already a peer")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List known peers.")
        @OptionGroup var dataDir: DataDirectoryOptions

        func run() async throws {
            let peers = try NodeStore(directory: dataDir.directory).peers()
            if peers.isEmpty { print("no peers; add one with 'oms peer add HOST:PORT'") }
            for p in peers {
                print("\(p.endpoint.description.padding(toLength: 22, withPad: " ", startingAt: 0)) \(p.source.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \(p.nodeID?.description ?? "(not yet connected)")")
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop dialling HOST:PORT and forget it.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @Argument(help: "HOST:PORT of the peer.") var address: String

        func run() async throws {
            let endpoint = try parseEndpoint(address, option: "address")
            let removed: Bool
            do {
                _ = try await dataDir.client().send(.DELETE, apiPath("peers", query: ["address": endpoint.description]))
                removed = true
            } catch let error as APIClientError where error.status == 404 {
                removed = false
            } catch let error as NodeError where error.code == .notRunning {
                removed = try NodeStore(directory: dataDir.directory).removePeer(endpoint)
            }
            guard removed else { throw ValidationError("\(endpoint) is not a known peer (see 'oms peer list')") }
            print("removed \(endpoint)")
        }
    }
}
