// TCC scale (issue 3): a TCF holding a million TCC records. The setup builds the node the way
// TCFHost does (real Ed25519 keys, sealed under the TCF key), then the benchmarks look TCCs up by
// id and by persona through NodeStore, against the raw limit: the same rows read with plain
// SQLite C calls on a read-only connection to the same file, in the same run.
//
// OMS_SCALE_N sets the number of TCCs (default 1,000,000; e.g. OMS_SCALE_N=10000 for a quick run).
//
// package-benchmark runs every benchmark in its own process, so the setup builds the database
// once per run, in <temp>/oms-scale-<benchmark tool pid>-<N>/, and the benchmarks that follow
// in the same run reopen it (reading the ids back) instead of building it again. Only the
// process that builds it prints the setup figures. Directories of earlier runs whose tool has
// exited are removed; the last benchmark removes its own.

import Benchmark
import Foundation
import GRDBSQLite
import OMSCore
import OMSCrypto
import OMSProtocol
import OMSStore

// MARK: Memory and files

/// Resident set size (`/proc/self/statm`, second field) and its peak (`VmHWM` in `/proc/self/status`).
func memory() -> (rss: Int, peak: Int) {
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let statm = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? ""
    let rss = statm.split(separator: " ").dropFirst().first.flatMap { Int($0) }.map { $0 * page } ?? -1
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let hwm = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }
        .flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") }
        .map { $0 * 1024 } ?? -1
    return (rss, hwm)
}

func mib(_ bytes: Int) -> String { String(format: "%.1f MiB", Double(bytes) / 1_048_576) }

func fileSize(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
}

func report(_ line: String) {
    FileHandle.standardError.write(Data("[Scale] \(line)\n".utf8))
}

func memoryLine(_ when: String) -> String {
    let (rss, peak) = memory()
    return "RSS \(when): \(mib(rss)) (peak so far \(mib(peak)))"
}

/// `tcc-0000001`
func tccName(_ index: Int) -> String {
    let digits = String(index)
    return "tcc-" + String(repeating: "0", count: max(0, 7 - digits.count)) + digits
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

// MARK: Raw SQLite

/// A plain SQLite connection and statement, for the raw limit and for reading the ids back.
struct RawSQLite {
    let db: OpaquePointer

    init(path: String, readOnly: Bool) {
        var handle: OpaquePointer?
        let flags = readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE
        guard sqlite3_open_v2(path, &handle, flags | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK, let handle else {
            fatalError("cannot open \(path)")
        }
        db = handle
    }

    func prepare(_ sql: String) -> OpaquePointer {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK,
            let statement
        else { fatalError("cannot prepare \(sql): \(String(cString: sqlite3_errmsg(db)))") }
        return statement
    }

    func execute(_ sql: String) {
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else {
            fatalError("\(sql) failed: \(String(cString: sqlite3_errmsg(db)))")
        }
    }

    /// Every value of a 32-byte blob column, end to end.
    func ids(_ sql: String, expecting count: Int) -> [UInt8] {
        let statement = prepare(sql)
        defer { sqlite3_finalize(statement) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count * 32)
        while sqlite3_step(statement) == SQLITE_ROW {
            precondition(sqlite3_column_bytes(statement, 0) == 32, "an id that is not 32 bytes")
            bytes.append(contentsOf: UnsafeRawBufferPointer(start: sqlite3_column_blob(statement, 0), count: 32))
        }
        return bytes
    }

    func close() { sqlite3_close_v2(db) }
}

// MARK: The fixture

/// The node's store with N TCCs of one TCF, each with one persona; the ids are kept end to end
/// in two flat arrays (32 bytes each, 64 MB for a million of each) so that picking one does not
/// need a million objects.
final class ScaleFixture: @unchecked Sendable {
    let count: Int
    let root: URL
    let store: NodeStore
    let tccIDs: [UInt8]
    let personaIDs: [UInt8]
    /// Read-only connection to the same file and the statements of the raw limit.
    let raw: RawSQLite
    let rawTCC: OpaquePointer
    let rawPersona: OpaquePointer

    static let tccSQL = "SELECT id, tcf, kind, name, created_at FROM tcc WHERE id = ?"
    static let personaSQL = """
        SELECT tcc.id, tcc.tcf, tcc.kind, tcc.name, tcc.created_at FROM persona
        JOIN tcc ON tcc.id = persona.tcc WHERE persona.id = ?
        """

    init(count: Int, root: URL, store: NodeStore, tccIDs: [UInt8], personaIDs: [UInt8]) {
        precondition(tccIDs.count == count * 32 && personaIDs.count == count * 32)
        self.count = count
        self.root = root
        self.store = store
        self.tccIDs = tccIDs
        self.personaIDs = personaIDs
        raw = RawSQLite(path: store.directory.database.path, readOnly: true)
        // The SQL NodeStore runs for tcc(_:) and tcc(persona:).
        rawTCC = raw.prepare(Self.tccSQL)
        rawPersona = raw.prepare(Self.personaSQL)
    }

    func tccID(_ index: Int) -> TCCID { TCCID(uncheckedBytes: Array(tccIDs[index * 32..<index * 32 + 32])) }
    func personaID(_ index: Int) -> PersonaID { PersonaID(uncheckedBytes: Array(personaIDs[index * 32..<index * 32 + 32])) }

    /// One raw lookup: bind the id straight from the flat array, step, touch the five columns,
    /// reset (which ends the read, as NodeStore's reads end theirs).
    func rawLookup(_ statement: OpaquePointer, _ ids: [UInt8], _ index: Int) -> Int {
        defer { sqlite3_reset(statement) }
        ids.withUnsafeBytes { bytes in
            _ = sqlite3_bind_blob(statement, 1, bytes.baseAddress! + index * 32, 32, nil)
        }
        guard sqlite3_step(statement) == SQLITE_ROW else { fatalError("raw lookup found no row") }
        var total = 0
        for column in Int32(0)..<5 {
            total &+= Int(sqlite3_column_bytes(statement, column))
        }
        return total
    }

    static let environmentCount = ProcessInfo.processInfo.environment["OMS_SCALE_N"].flatMap { Int($0) } ?? 1_000_000
    static let batchSize = 10_000

    /// This run's fixture: built if this is the run's first benchmark process, else reopened.
    static func make() throws -> ScaleFixture {
        let count = environmentCount
        precondition(count > 0 && count <= 9_999_999, "OMS_SCALE_N must be 1 to 9,999,999")
        let temp = FileManager.default.temporaryDirectory
        removeStaleRuns(in: temp)
        let root = temp.appendingPathComponent("oms-scale-\(getppid())-\(count)")
        let done = root.appendingPathComponent("setup-done")
        if FileManager.default.fileExists(atPath: done.path) {
            return try reopen(count: count, root: root)
        }
        try? FileManager.default.removeItem(at: root)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let fixture = try build(count: count, root: root)
        try Data().write(to: done)
        return fixture
    }

    /// Removes `oms-scale-<pid>-*` directories whose benchmark tool is no longer running.
    static func removeStaleRuns(in temp: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: temp.path)) ?? []
        for name in names where name.hasPrefix("oms-scale-") {
            let parts = name.split(separator: "-")
            guard parts.count == 4, let pid = pid_t(parts[2]), pid != getppid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                try? FileManager.default.removeItem(at: temp.appendingPathComponent(name))
            }
        }
    }

    static func reopen(count: Int, root: URL) throws -> ScaleFixture {
        report("reopening the \(count)-TCC node the first benchmark of this run built; \(memoryLine("before"))")
        let store = try NodeStore(directory: DataDirectory(root.appendingPathComponent("node").path))
        let reader = RawSQLite(path: store.directory.database.path, readOnly: true)
        defer { reader.close() }
        let fixture = ScaleFixture(
            count: count, root: root, store: store, tccIDs: reader.ids("SELECT id FROM tcc", expecting: count),
            personaIDs: reader.ids("SELECT id FROM persona", expecting: count))
        report(memoryLine("after reopening (ids read back: \(mib(fixture.tccIDs.count + fixture.personaIDs.count)))"))
        return fixture
    }

    static func build(count: Int, root: URL) throws -> ScaleFixture {
        let clock = ContinuousClock()
        report("setup: \(count) TCCs, each with one persona, batches of \(batchSize), in \(root.path)")
        report(memoryLine("before setup"))
        let start = clock.now

        let directory = DataDirectory(root.appendingPathComponent("node").path)
        let (store, identity) = try NodeStore.initialize(
            directory: directory, network: try NetworkID("oms-scale"), passphrase: "scale-bench",
            argon2: Argon2id.Parameters(opsLimit: 1, memLimit: 8192))

        // One TCF, made as TCFHost.createTCF makes it.
        let tcfID = TCFID(uncheckedBytes: SecureRandom.bytes(32))
        let owner = Ed25519.PrivateKey()
        let tcfKey = TCFSealing.newTCFKey()
        let now = Date()
        try store.insertTCF(
            TCFRecord(
                id: tcfID, name: try Name("scale"), ownerKey: Data(owner.publicKey.rawRepresentation), state: .running,
                createdAt: now),
            wrappedKey: TCFSealing.wrap(tcfKey, tcf: tcfID, under: TCFSealing.wrappingKey(nodeIdentity: identity)),
            sealedOwner: TCFSealing.seal(owner, tcf: tcfID, under: tcfKey))

        let context = try Name("shop")
        var tccIDs: [UInt8] = []
        var personaIDs: [UInt8] = []
        tccIDs.reserveCapacity(count * 32)
        personaIDs.reserveCapacity(count * 32)
        var keyTime = Duration.zero
        var tccInsertTime = Duration.zero
        var personaInsertTime = Duration.zero
        var lastReport = clock.now

        for first in stride(from: 0, to: count, by: batchSize) {
            let range = first..<min(first + batchSize, count)

            // TCCs (as TCFHost.createTCC): a root key, its public key the id, its seed sealed.
            var mark = clock.now
            var tccs: [(record: TCCRecord, sealedKey: [UInt8])] = []
            tccs.reserveCapacity(range.count)
            for index in range {
                let key = Ed25519.PrivateKey()
                let id = key.publicKey.rawRepresentation
                tccIDs.append(contentsOf: id)
                tccs.append((
                    TCCRecord(
                        id: TCCID(uncheckedBytes: id), tcf: tcfID, kind: .private, name: try Name(tccName(index + 1)),
                        createdAt: now),
                    TCFSealing.seal(key, tcf: tcfID, under: tcfKey)
                ))
            }
            keyTime += clock.now - mark
            mark = clock.now
            try store.insertTCCs(tccs)
            tccInsertTime += clock.now - mark

            // One persona each (as TCFHost.createPersona).
            mark = clock.now
            var personas: [(record: PersonaRecord, sealedKey: [UInt8])] = []
            personas.reserveCapacity(range.count)
            for tcc in tccs {
                let key = Ed25519.PrivateKey()
                let id = key.publicKey.rawRepresentation
                personaIDs.append(contentsOf: id)
                personas.append((
                    PersonaRecord(id: PersonaID(uncheckedBytes: id), tcc: tcc.record.id, context: context, createdAt: now),
                    TCFSealing.seal(key, tcf: tcfID, under: tcfKey)
                ))
            }
            keyTime += clock.now - mark
            mark = clock.now
            try store.insertPersonas(personas)
            personaInsertTime += clock.now - mark

            if clock.now - lastReport > .seconds(15) {
                lastReport = clock.now
                report("  \(range.upperBound) TCCs after \(String(format: "%.0f", seconds(clock.now - start))) s; \(memoryLine("now"))")
            }
        }

        // Fold the WAL into the database file, so its size is the size of the data.
        let writer = RawSQLite(path: directory.database.path, readOnly: false)
        writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        writer.close()
        let total = clock.now - start

        guard try store.tccCount(tcf: tcfID) == count else { fatalError("the TCF does not hold \(count) TCCs") }
        let database = fileSize(directory.database.path)
        let wal = fileSize(directory.database.path + "-wal")
        let rate = Double(count) / seconds(total)
        report(
            String(
                format: "setup took %.1f s: %.0f TCCs/s (each with its persona); "
                    + "keys + sealing %.1f s, insertTCCs %.1f s, insertPersonas %.1f s",
                seconds(total), rate, seconds(keyTime), seconds(tccInsertTime), seconds(personaInsertTime)))
        report("database: \(mib(database)) (\(database / count) bytes per TCC with its persona), WAL \(mib(wal))")
        report(memoryLine("after setup (the ids kept for the lookups: \(mib(tccIDs.count + personaIDs.count)))"))
        return ScaleFixture(count: count, root: root, store: store, tccIDs: tccIDs, personaIDs: personaIDs)
    }

    func finish(_ benchmark: String, last: Bool) {
        report(memoryLine("after '\(benchmark)'"))
        if last {
            sqlite3_finalize(rawTCC)
            sqlite3_finalize(rawPersona)
            raw.close()
            try? FileManager.default.removeItem(at: root)
        }
    }
}

nonisolated(unsafe) var fixture: ScaleFixture!

// MARK: Benchmarks

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .peakMemoryResident],
        timeUnits: .nanoseconds,
        warmupIterations: 1_000,
        scalingFactor: .one,
        maxDuration: .seconds(5),
        maxIterations: 100_000
    )

    // Sorted by name, which is the order the benchmark tool runs them in; the last cleans up.
    let names = [
        "TCC lookup by id", "TCC lookup by persona", "raw SQLite persona join lookup", "raw SQLite primary-key lookup",
    ]
    func setup() async throws { if fixture == nil { fixture = try ScaleFixture.make() } }
    func teardown(_ name: String) { fixture?.finish(name, last: name == names.last) }

    Benchmark(names[0]) { benchmark in
        let fixture = fixture!
        for _ in benchmark.scaledIterations {
            let id = fixture.tccID(Int.random(in: 0..<fixture.count))
            guard let found = try! fixture.store.tcc(id) else { fatalError("no TCC \(id)") }
            blackHole(found)
        }
    } setup: {
        try await setup()
    } teardown: {
        teardown(names[0])
    }

    Benchmark(names[1]) { benchmark in
        let fixture = fixture!
        for _ in benchmark.scaledIterations {
            let id = fixture.personaID(Int.random(in: 0..<fixture.count))
            guard let found = try! fixture.store.tcc(persona: id) else { fatalError("no TCC for persona \(id)") }
            blackHole(found)
        }
    } setup: {
        try await setup()
    } teardown: {
        teardown(names[1])
    }

    // The limit for the persona lookup: the same join (persona index, then the TCC's primary key).
    Benchmark(names[2]) { benchmark in
        let fixture = fixture!
        for _ in benchmark.scaledIterations {
            blackHole(fixture.rawLookup(fixture.rawPersona, fixture.personaIDs, Int.random(in: 0..<fixture.count)))
        }
    } setup: {
        try await setup()
    } teardown: {
        teardown(names[2])
    }

    // The limit for the id lookup: one primary-key read of the same row, the same columns.
    Benchmark(names[3]) { benchmark in
        let fixture = fixture!
        for _ in benchmark.scaledIterations {
            blackHole(fixture.rawLookup(fixture.rawTCC, fixture.tccIDs, Int.random(in: 0..<fixture.count)))
        }
    } setup: {
        try await setup()
    } teardown: {
        teardown(names[3])
    }
}
