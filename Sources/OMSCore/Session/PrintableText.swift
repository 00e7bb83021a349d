extension String {
    /// Text from a peer made safe to log and show: control characters (terminal escapes,
    /// newlines) dropped and at most `limit` Unicode scalars kept. Counting scalars rather than
    /// Characters matters: one Character can carry any number of combining marks.
    public func printable(limit: Int) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in unicodeScalars where !scalar.properties.generalCategory.isControl {
            guard scalars.count < limit else { break }
            scalars.append(scalar)
        }
        return String(scalars)
    }
}

extension Unicode.GeneralCategory {
    fileprivate var isControl: Bool {
        switch self {
        case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned: true
        default: false
        }
    }
}
