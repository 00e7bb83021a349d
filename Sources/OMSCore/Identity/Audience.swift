import OMSProtocol

/// Whom a presentation or a sign-in answer is meant for, as the verifier names itself (an
/// app, a shop, a community): 1 to 128 bytes of UTF-8 without control characters. Binding the
/// audience into what is signed stops one verifier replaying an answer to another.
public struct Audience: Hashable, Sendable, CheckedText {
    public let rawValue: String
    public static let maximumLength = 128

    public init(_ text: String) throws(IdentityError) {
        guard (1...Self.maximumLength).contains(text.utf8.count) else {
            throw IdentityError(.malformed, "an audience is 1 to \(Self.maximumLength) bytes, not \(text.utf8.count)")
        }
        guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw IdentityError(.malformed, "an audience may not contain control characters")
        }
        rawValue = text
    }

    /// Byte for byte, as signed: Swift's `String ==` would equate NFC and NFD spellings, which
    /// another implementation would not.
    public static func == (a: Audience, b: Audience) -> Bool { a.rawValue.utf8.elementsEqual(b.rawValue.utf8) }

    public func hash(into hasher: inout Hasher) { hasher.combine(Array(rawValue.utf8)) }

    init(decoding bytes: ArraySlice<UInt8>) throws(IdentityError) {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw IdentityError(.malformed, "the audience is not UTF-8")
        }
        try self.init(text)
    }

}

/// What a claim states, e.g. `age.over-18` or `member.garden-club`: the envelope-type rule
/// (1 to 64 of a-z 0-9 / . _ -), so it is safe to print and to match exactly.
public struct ClaimType: Hashable, Sendable, CheckedText {
    public let rawValue: String

    public init(_ text: String) throws(IdentityError) {
        do {
            rawValue = try EnvelopeType(text).rawValue
        } catch {
            throw IdentityError(.malformed, "claim type: \(error.context)")
        }
    }

}

extension ByteReader {
    /// A `u8` length and that many bytes of printed id.
    mutating func readPartyID(_ field: String) throws(IdentityError) -> PartyID {
        guard let length = readByte(), let bytes = read(Int(length)) else {
            throw IdentityError(.malformed, "truncated in the \(field)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw IdentityError(.malformed, "the \(field) is not text")
        }
        return try PartyID(parsing: text)
    }

    mutating func readAudience() throws(IdentityError) -> Audience {
        guard let length = readByte(), let bytes = read(Int(length)) else {
            throw IdentityError(.malformed, "truncated in the audience")
        }
        return try Audience(decoding: bytes)
    }

    mutating func require(version: UInt8, of object: String) throws(IdentityError) {
        guard let found = readByte() else { throw IdentityError(.malformed, "an empty \(object)") }
        guard found == version else {
            throw IdentityError(.malformed, "\(object) version \(found); this node reads version \(version)")
        }
    }

    func requireEnd(of object: String) throws(IdentityError) {
        guard remaining == 0 else { throw IdentityError(.malformed, "\(remaining) trailing bytes after the \(object)") }
    }
}

extension Array where Element == UInt8 {
    mutating func appendShortText(_ text: String) {
        append(UInt8(text.utf8.count))
        append(contentsOf: text.utf8)
    }
}
