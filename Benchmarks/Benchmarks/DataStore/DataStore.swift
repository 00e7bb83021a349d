// The personal data store (issue 4), each path beside its raw limit in the same run:
// - batched ingest through TCFHost (NDJSON parsed and checked whole, sealed a block at a time,
//   committed with its audit entry and signed checkpoint), against raw SQLite inserting the same
//   rows one per row with a prepared statement in one transaction, on the same kind of file
//   (WAL, synchronous=FULL) with the index a naive design needs (tcc, stream, time);
// - a mean over 1,000,000 stored records through the rule engine (policy decision, read, open
//   and decode the blocks, clamp, mean, the exchange and audit entry committed), against raw
//   SQLite's avg() over the same rows stored plainly.
//
// Each benchmark runs in its own process and builds its own store in a temporary directory.

import Benchmark
import Foundation
import GRDBSQLite
import OMSCore
import OMSCrypto
import OMSNode
import OMSProtocol
import OMSStore

let batchSize = 10_000
let start: Int64 = 1_795_687_200_000

/// `count` steps records as NDJSON, a minute apart from `offset`.
func stepsBody(_ count: Int, offset: Int = 0) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(count * 64)
    for i in offset..<offset + count {
        out += "{\"stream\":\"steps\",\"time\":\(start + Int64(i) * 60_000),\"count\":\(i % 200)}\n".utf8
    }
    return out
}

func report(_ line: String) { FileHandle.standardError.write(Data("[DataStore] \(line)\n".utf8)) }

/// A node store with one TCF, a TCC "alice", a phone device and a policy that permits a mean.
struct Fixture {
    let root: URL
    let host: TCFHost
    let tcc: TCCRecord
    let device: DeviceRecord
    let asker = PersonaID(uncheckedBytes: Array(repeating: 9, count: 32))

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("oms-datastore-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let (store, identity) = try NodeStore.initialize(
            directory: DataDirectory(root.appendingPathComponent("node").path), network: try NetworkID("oms-bench"), passphrase: nil,
            argon2: Argon2id.Parameters(opsLimit: 1, memLimit: 8192))
        host = try TCFHost(store: store, nodeIdentity: identity)
        let tcf = try host.createTCF(name: try Name("home"))
        tcc = try host.createTCC(in: tcf.id, kind: .private, name: try Name("alice"))
        device = try host.addDevice(to: tcc, name: try Name("phone"), streams: [.steps]).device
        _ = try host.setPolicy(
            tcc, name: try Name("share"),
            yaml: "version: 1\nrules:\n  - {id: mean, effect: permit, principals: [anyone], actions: [answer], streams: [steps], answers: [mean]}\n")
    }

    func remove() { try? FileManager.default.removeItem(at: root) }

    func askMean() throws -> AnswerOutcome {
        try host.answer(
            AnswerRequest(
                requester: .init(persona: asker), requesterID: asker.description, stream: .steps, module: .mean, query: SecureRandom.bytes(32),
                expires: .max), for: tcc)
    }
}

/// The raw limit: a plain table of the same rows, in a file opened like the node's.
struct RawTable {
    let db: OpaquePointer
    let path: String

    init(root: URL) {
        try? FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        path = root.appendingPathComponent("raw.sqlite").path
        var handle: OpaquePointer?
        guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK, let handle else {
            fatalError("cannot open \(path)")
        }
        db = handle
        execute("PRAGMA journal_mode = WAL")
        execute("PRAGMA synchronous = FULL")
        execute("CREATE TABLE record (tcc BLOB NOT NULL, stream TEXT NOT NULL, time_ms INTEGER NOT NULL, value INTEGER NOT NULL)")
        execute("CREATE INDEX record_by_time ON record (tcc, stream, time_ms)")
    }

    func execute(_ sql: String) {
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else { fatalError("\(sql): \(String(cString: sqlite3_errmsg(db)))") }
    }

    /// Inserts `count` rows one per row, in one transaction.
    func insert(_ count: Int, offset: Int, tcc: [UInt8]) {
        var statement: OpaquePointer?
        sqlite3_prepare_v2(db, "INSERT INTO record (tcc, stream, time_ms, value) VALUES (?, 'steps', ?, ?)", -1, &statement, nil)
        defer { sqlite3_finalize(statement) }
        execute("BEGIN")
        tcc.withUnsafeBytes { id in
            for i in offset..<offset + count {
                sqlite3_bind_blob(statement, 1, id.baseAddress, 32, nil)
                sqlite3_bind_int64(statement, 2, start + Int64(i) * 60_000)
                sqlite3_bind_int64(statement, 3, Int64(i % 200))
                guard sqlite3_step(statement) == SQLITE_DONE else { fatalError(String(cString: sqlite3_errmsg(db))) }
                sqlite3_reset(statement)
            }
        }
        execute("COMMIT")
    }

    func mean(tcc: [UInt8]) -> Double {
        var statement: OpaquePointer?
        sqlite3_prepare_v2(db, "SELECT avg(value) FROM record WHERE tcc = ? AND stream = 'steps'", -1, &statement, nil)
        defer { sqlite3_finalize(statement) }
        tcc.withUnsafeBytes { id in _ = sqlite3_bind_blob(statement, 1, id.baseAddress, 32, nil) }
        guard sqlite3_step(statement) == SQLITE_ROW else { fatalError("no mean") }
        return sqlite3_column_double(statement, 0)
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .peakMemoryResident],
        timeUnits: .milliseconds,
        warmupIterations: 2,
        maxDuration: .seconds(10),
        maxIterations: 200
    )

    Benchmark("Ingest: 10,000-record NDJSON batch through TCFHost (parse, check, seal, commit + audit)") { benchmark in
        let fixture = try Fixture()
        defer { fixture.remove() }
        let body = stepsBody(batchSize)
        var batch = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            batch += 1
            blackHole(try fixture.host.ingest(body, format: .ndjson, batch: "b-\(batch)", from: fixture.device))
        }
        benchmark.stopMeasurement()
        report("ingested \(batch) batches of \(batchSize)")
    }

    Benchmark("Ingest part: parse and check the 10,000-record NDJSON batch only (no store)") { benchmark in
        let body = stepsBody(batchSize)
        for _ in benchmark.scaledIterations {
            blackHole(try IngestBatch.parse(body, format: .ndjson, schema: StreamSchema.builtIn, mayWrite: { _ in true }))
        }
    }

    Benchmark("Ingest limit: raw SQLite, the same 10,000 rows one per row in one transaction") { benchmark in
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("oms-raw-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        let raw = RawTable(root: root)
        let tcc = Array(repeating: UInt8(7), count: 32)
        var offset = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            raw.insert(batchSize, offset: offset, tcc: tcc)
            offset += batchSize
        }
        benchmark.stopMeasurement()
    }

    Benchmark("Mean over 1,000,000 stored records through the rule engine (decide, open, decode, mean, audit)") { benchmark in
        let fixture = try Fixture()
        defer { fixture.remove() }
        let clock = ContinuousClock()
        let setup = try clock.measure {
            for b in 0..<100 {
                _ = try fixture.host.ingest(stepsBody(batchSize, offset: b * batchSize), format: .ndjson, batch: "b-\(b)", from: fixture.device)
            }
        }
        report("setup: 1,000,000 records ingested in \(setup)")
        guard case .number(let mean) = try fixture.askMean().value, abs(mean - 99.5) < 1e-9 else { fatalError("the mean is wrong") }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(try fixture.askMean()) }
        benchmark.stopMeasurement()
    }

    Benchmark("Mean limit: raw SQLite avg() over the same 1,000,000 rows stored plainly") { benchmark in
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("oms-raw-mean-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        let raw = RawTable(root: root)
        let tcc = Array(repeating: UInt8(7), count: 32)
        for b in 0..<100 { raw.insert(batchSize, offset: b * batchSize, tcc: tcc) }
        precondition(abs(raw.mean(tcc: tcc) - 99.5) < 1e-9)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(raw.mean(tcc: tcc)) }
        benchmark.stopMeasurement()
    }
}
