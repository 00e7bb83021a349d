import OMSProtocol

/// A name an owner gives to a TCF, a TCC or a persona's context ("home", "garden-club",
/// "bike-shop"): 1 to 64 characters of letters, digits and `. _ -`, starting with a letter or
/// digit. Names are typed at a shell and appear in URLs and tables, so they are kept to what
/// needs no quoting anywhere.
public struct Name: Hashable, Sendable, CheckedText, Comparable {
    public let rawValue: String
    public static let maximumLength = 64

    public init(_ text: String) throws(HostingError) {
        let scalars = text.unicodeScalars
        guard (1...Self.maximumLength).contains(scalars.count) else {
            throw HostingError(.invalidName, "a name is 1 to \(Self.maximumLength) characters, not \(scalars.count)")
        }
        for (index, scalar) in scalars.enumerated() {
            let alphanumeric = scalar.properties.isAlphabetic || scalar.properties.numericType == .decimal
            guard alphanumeric || (index > 0 && ".-_".unicodeScalars.contains(scalar)) else {
                throw HostingError(
                    .invalidName,
                    "'\(text.printable(limit: 64))' is not a name: use letters, digits and . _ - (starting with a letter or digit)")
            }
        }
        rawValue = text
    }

    public static func < (a: Name, b: Name) -> Bool { a.rawValue < b.rawValue }
}

/// The three kinds of TCC of the paper: one person's digital self, a community's portal,
/// and an institution whose members are communities.
public enum TCCKind: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case `private`
    case community
    case institution

    public var description: String { rawValue }
}

/// Whether a TCF's keys are open on its node. A stopped TCF keeps its data but answers
/// nothing and signs nothing until started again.
public enum TCFState: String, Sendable, Codable, CustomStringConvertible {
    case running
    case stopped
    /// Frozen while it migrates: it answers nothing and takes no writes, so the archive that
    /// travels is all there is; running again if the migration fails, gone once it is handed over.
    case moving

    public var description: String { rawValue }
}
