import Foundation
import OMSCore
import OMSCrypto
import OMSProtocol
import OMSStore

/// What an import restored, line counts by kind.
public struct ImportReport: Codable, Sendable, Hashable {
    public var records: Int
    public var streams: Int
    public var policies: Int
    public var claims: Int
    /// Audit lines read (the old log is exported for the owner's records, not replayed: its
    /// checkpoints are signed by the old TCC's key).
    public var auditLines: Int
}

/// The owner's export and import (protocol-spec §12): everything a TCC holds as JSON lines,
/// and the same lines read back into a fresh TCC in one transaction.
extension TCFHost {
    /// The lines before the records: header, declared streams, every policy version, claims
    /// and the audit log.
    /// The export is audited here, before its first byte leaves: a client that disconnects
    /// half-way has still taken data.
    public func exportPreamble(of tcc: TCCRecord) throws -> [UInt8] {
        _ = try key(of: tcc.tcf)
        try audit(tcc, .dataAccess, ["action": "export"])
        var out: [UInt8] = []
        var header = ExportLine.Meta(kind: .header)
        header.version = ExportLine.version
        header.tcc = tcc.id.description
        header.name = tcc.name.rawValue
        header.exportedAt = now()
        out += try header.encoded()
        for declared in try store.declaredStreams(tcc: tcc.id) {
            var line = ExportLine.Meta(kind: .stream)
            line.name = declared.name.rawValue
            line.schema = declared.schema
            out += try line.encoded()
        }
        // Every version of every policy ever set, removed ones too; the one in force is marked.
        let inForce = Dictionary(uniqueKeysWithValues: try store.policies(tcc: tcc.id).map { ($0.name, $0.version) })
        for name in try store.policyNames(tcc: tcc.id) {
            for version in try store.policyVersions(tcc: tcc.id, name: name) {
                var line = ExportLine.Meta(kind: .policy)
                line.name = version.name.rawValue
                line.policyVersion = version.version
                line.setAt = version.updatedAt
                line.yaml = version.body
                line.inForce = inForce[name] == version.version ? true : nil
                out += try line.encoded()
            }
        }
        for claim in try store.claims(tcc: tcc.id).reversed() {
            var line = ExportLine.Meta(kind: .claim)
            line.role = claim.role.rawValue
            line.envelope = claim.envelope
            out += try line.encoded()
        }
        for entry in try store.auditEntries(tcc: tcc.id) {
            var line = ExportLine.Meta(kind: .audit)
            line.sequence = entry.sequence
            line.time = entry.time
            line.auditKind = entry.kind.rawValue
            line.detail = String(decoding: entry.detail, as: UTF8.self)
            line.hash = entry.hash.hex
            out += try line.encoded()
        }
        return out
    }

    /// The streams that hold records, for the caller to export one at a time.
    public func exportedStreams(of tcc: TCCRecord) throws -> [StreamName] { try store.streamSummaries(tcc: tcc.id).map(\.stream) }

    /// One stream's records as ingest lines, oldest first.
    public func exportRecords(of tcc: TCCRecord, stream: StreamName) throws -> (lines: [UInt8], count: Int) {
        let schema = try schema(of: stream, in: tcc)
        let records = try records(of: tcc, stream: stream)
        var out: [UInt8] = []
        out.reserveCapacity(records.count * 64)
        for record in records { ExportLine.record(record, stream: stream, schema: schema, into: &out) }
        return (out, records.count)
    }

    /// The last line.
    public func exportTrailer(records: Int, lines: Int) throws -> [UInt8] {
        var end = ExportLine.Meta(kind: .end)
        end.records = records
        end.lines = lines + 1
        return try end.encoded()
    }

    /// Reads an export into `tcc`, which must hold no records and no policies yet. Every line
    /// is checked (records as a device's batch would be, claims by their signatures, policies
    /// as policy documents, the trailer's counts) before anything is written, and all of it is
    /// written in one transaction.
    public func importExport(_ body: [UInt8], into tcc: TCCRecord) throws -> ImportReport {
        _ = try key(of: tcc.tcf)
        guard try store.streamSummaries(tcc: tcc.id).isEmpty, try store.policies(tcc: tcc.id).isEmpty else {
            throw HostingError(.duplicate, "\(tcc.name) already holds records or policies: import into a fresh TCC")
        }
        var recordLines: [UInt8] = []
        var recordLineNumbers: [Int] = []
        var declared: [StreamName: StreamSchema] = [:]
        var policies: [(name: Name, yaml: String, at: Date)] = []
        var inForce: Set<Name> = []
        var claims: [(SignedClaim, ClaimRecord.Role)] = []
        var audits = 0
        var trailer: ExportLine.Meta?
        var lineNumber = 0
        func fault(_ message: String) -> DataError { DataError(.malformed, "line \(lineNumber): \(message)") }
        for line in body.split(separator: 0x0a, omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.isEmpty { continue }
            guard trailer == nil else { throw fault("nothing may follow the end line") }
            if ExportLine.isRecord(line) {
                guard lineNumber > 1 else { throw fault("an export starts with its header line") }
                recordLines += line
                recordLines.append(0x0a)
                recordLineNumbers.append(lineNumber)
                continue
            }
            let meta: ExportLine.Meta
            do { meta = try ExportLine.Meta.decode(line) } catch { throw fault("not an export line: \(error)") }
            guard (lineNumber == 1) == (meta.kind == .header) else { throw fault("an export starts with its header line, and has one") }
            switch meta.kind {
            case .header:
                guard meta.version == ExportLine.version else { throw fault("export version \(meta.version ?? 0) is not \(ExportLine.version)") }
            case .stream:
                guard let name = meta.name.flatMap({ try? StreamName($0) }), let schema = meta.schema, StreamSchema.builtIn(name) == nil else {
                    throw fault("a stream line needs a name that is not built in and a schema")
                }
                declared[name] = schema
            case .policy:
                guard let name = meta.name.flatMap({ try? Name($0) }), let yaml = meta.yaml else { throw fault("a policy line needs a name and yaml") }
                do { _ = try PolicyDocument(yaml: yaml) } catch { throw fault("policy \(name): \(error)") }
                policies.append((name, yaml, meta.setAt ?? now()))
                if meta.inForce == true { inForce.insert(name) }
            case .claim:
                guard let envelope = meta.envelope, let role = meta.role.flatMap(ClaimRecord.Role.init(rawValue:)) else {
                    throw fault("a claim line needs a role and an envelope")
                }
                do { claims.append((try SignedClaim(opening: Array(envelope)), role)) } catch { throw fault("a claim does not open: \(error)") }
            case .audit: audits += 1
            case .end: trailer = meta
            }
        }
        guard let trailer else { throw DataError(.malformed, "the export has no end line: it was cut short") }
        guard trailer.records == recordLineNumbers.count else {
            throw DataError(.malformed, "the end line counts \(trailer.records ?? -1) records but the file holds \(recordLineNumbers.count)")
        }
        var known = try streams(of: tcc)
        for (name, schema) in declared {
            if let existing = known[name], existing != schema { throw HostingError(.duplicate, "\(tcc.name) declares \(name) with another schema") }
            known[name] = schema
        }
        let parsed: IngestBatch
        do {
            parsed = try IngestBatch.parse(recordLines, format: .ndjson, schema: { known[$0] }, mayWrite: { _ in true }, maximumRecords: .max, maximumBytes: .max)
        } catch {
            let original = recordLineNumbers[min(max(error.record - 1, 0), recordLineNumbers.count - 1)]
            throw BatchRefusal(error.error, line: original, record: error.record, field: error.field)
        }
        let blocks = try sealBlocks(parsed, schemas: known, of: tcc)
        let report = ImportReport(records: parsed.count, streams: declared.count, policies: policies.count, claims: claims.count, auditLines: audits)
        let detail: [String: String] = [
            "action": "import", "records": String(report.records), "policies": String(report.policies), "claims": String(report.claims),
        ]
        try store.importData(
            tcc: tcc.id,
            streams: declared.map { StreamRecord(tcc: tcc.id, name: $0.key, schema: $0.value, createdAt: now()) },
            blocks: blocks, policies: policies, inForce: inForce, claims: claims, at: now(),
            audit: (.dataWrite, try Self.json(detail), try rootKey(of: tcc)))
        return report
    }
}
