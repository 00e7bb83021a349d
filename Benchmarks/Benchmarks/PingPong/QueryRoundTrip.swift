// An answer round trip between two real nodes on loopback (issue 4): node B's persona signs a
// query (and B audits it), the QueryRequest frame crosses the Noise session, node A checks it
// (signature, freshness, replay window), decides with alice's policy, computes a mean over
// 1,000 stored records, signs the answer and audits it (SQLite, synchronous=FULL), and B checks
// the answer and audits the response. Measured beside the sequential ping/pong round trip of
// the same kind of session, which is the transport's floor.

import Foundation
import Logging
import OMSCore
import OMSCrypto
import OMSNode
import OMSProtocol
import OMSStore

struct QueryPair: Sendable {
    let a: Node
    let b: Node
    let exchangeB: Exchange
    let bob: TCCRecord
    let persona: PersonaRecord
    let question: Exchange.Question
    let root: URL
    let runs: [Task<Void, any Error>]

    static func start() async throws -> QueryPair {
        let network = try NetworkID("oms-bench")
        let quiet = Logger(label: "oms.bench") { _ in SwiftLogNoOpLogHandler() }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("oms-query-bench-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        func node(_ name: String, listen: Bool, bootstrap: [Endpoint]) throws -> (Node, TCFHost, Exchange) {
            let (store, identity) = try NodeStore.initialize(
                directory: DataDirectory(root.appendingPathComponent(name).path), network: network, passphrase: nil,
                argon2: Argon2id.Parameters(opsLimit: 1, memLimit: 8192))
            let host = try TCFHost(store: store, nodeIdentity: identity)
            let node = Node(
                configuration: NodeConfiguration(
                    identity: identity, trust: .keyFile, network: network, listen: listen ? try Endpoint(host: "127.0.0.1", port: 0) : nil, bootstrap: bootstrap,
                    greetPeers: false),
                store: store, logger: quiet)
            return (node, host, Exchange(host: host, nodeIdentity: identity))
        }
        let (a, hostA, exchangeA) = try node("a", listen: true, bootstrap: [])
        try await a.bind()
        await a.serveQueries(exchangeA.responder)
        guard let address = await a.listeningAddress else { fatalError("node A did not bind") }
        let (b, hostB, exchangeB) = try node("b", listen: false, bootstrap: [address])

        let alice = try hostA.createTCC(in: try hostA.createTCF(name: try Name("home")).id, kind: .private, name: try Name("alice"))
        let phone = try hostA.addDevice(to: alice, name: try Name("phone"), streams: [.steps]).device
        let body = (0..<1000).map { "{\"stream\":\"steps\",\"time\":\(1_795_687_200_000 + $0 * 60_000),\"count\":\($0 % 200)}" }.joined(separator: "\n")
        _ = try hostA.ingest(Array(body.utf8), format: .ndjson, batch: "day", from: phone)
        let bob = try hostB.createTCC(in: try hostB.createTCF(name: try Name("lab")).id, kind: .private, name: try Name("bob"))
        let persona = try hostB.createPersona(in: bob, context: try Name("research"))
        _ = try hostA.setPolicy(
            alice, name: try Name("research"),
            yaml: "version: 1\nrules:\n  - {id: mean, effect: permit, principals: [{persona: \(persona.id)}], actions: [answer], streams: [steps], answers: [mean]}\n")

        let runs = [Task { try await a.run() }, Task { try await b.run() }]
        let deadline = ContinuousClock.now + .seconds(10)
        func established() async -> Bool {
            let aSees = await a.status().sessions.contains { $0.peer == b.id && $0.agent != nil }
            let bSees = await b.status().sessions.contains { $0.peer == a.id && $0.agent != nil }
            return aSees && bSees
        }
        while await !established() {
            guard ContinuousClock.now < deadline else { fatalError("no session between the two nodes after 10 s") }
            try await Task.sleep(for: .milliseconds(5))
        }
        let question = Exchange.Question(target: alice.id, module: try ModuleName("mean"), stream: "steps", lifetime: 60_000)
        return QueryPair(a: a, b: b, exchangeB: exchangeB, bob: bob, persona: persona, question: question, root: root, runs: runs)
    }

    /// One query, answered and checked; traps if it is not an answer of the right mean.
    func roundTrip() async throws {
        let signed = try exchangeB.makeQuery(question, from: bob, as: persona)
        let reply = try await b.ask(signed.envelope.bytes, to: a.id, timeout: .seconds(10))
        guard case .answer(let answer) = try exchangeB.receive(reply, for: signed, from: a.id, in: bob), answer.answer.value == .number(99.5) else {
            fatalError("the query was not answered with the mean")
        }
    }

    func stop() async {
        for run in runs { run.cancel() }
        for run in runs { _ = try? await run.value }
        try? FileManager.default.removeItem(at: root)
    }
}
