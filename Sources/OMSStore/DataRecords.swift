import Foundation
import OMSCore
import OMSProtocol

/// A device allowed to push records to one TCC, for the streams named. Its token is shown once
/// when it is added; the store keeps only the token's hash.
public struct DeviceRecord: Codable, Sendable, Hashable {
    public var tcc: TCCID
    public var name: Name
    public var streams: [StreamName]
    public var createdAt: Date

    public init(tcc: TCCID, name: Name, streams: [StreamName], createdAt: Date) {
        self.tcc = tcc
        self.name = name
        self.streams = streams
        self.createdAt = createdAt
    }
}

/// A stream the owner declared, with its schema.
public struct StreamRecord: Codable, Sendable, Hashable {
    public var tcc: TCCID
    public var name: StreamName
    public var schema: StreamSchema
    public var createdAt: Date

    public init(tcc: TCCID, name: StreamName, schema: StreamSchema, createdAt: Date) {
        self.tcc = tcc
        self.name = name
        self.schema = schema
        self.createdAt = createdAt
    }
}

/// A block of one stream's records, sealed; what the store keeps in the clear is what the
/// index needs.
public struct SealedBlock: Sendable, Hashable {
    public var stream: StreamName
    public var start: Int64
    public var end: Int64
    public var count: Int
    public var sealed: [UInt8]

    public init(stream: StreamName, start: Int64, end: Int64, count: Int, sealed: [UInt8]) {
        self.stream = stream
        self.start = start
        self.end = end
        self.count = count
        self.sealed = sealed
    }
}

/// What a device is told once its batch is committed. A retry with the same batch id gets
/// the first receipt back, marked `duplicate`, and nothing is written twice.
public struct IngestReceipt: Codable, Sendable, Hashable {
    public var batch: String
    public var records: Int
    public var duplicate: Bool
    public var receivedAt: Date

    public init(batch: String, records: Int, duplicate: Bool, receivedAt: Date) {
        self.batch = batch
        self.records = records
        self.duplicate = duplicate
        self.receivedAt = receivedAt
    }
}

/// How much one stream holds, from the index alone (nothing is decrypted to say it).
public struct StreamSummary: Codable, Sendable, Hashable {
    public var stream: StreamName
    public var records: Int
    /// Milliseconds since the epoch.
    public var first: Int64
    public var last: Int64

    public init(stream: StreamName, records: Int, first: Int64, last: Int64) {
        self.stream = stream
        self.records = records
        self.first = first
        self.last = last
    }
}
