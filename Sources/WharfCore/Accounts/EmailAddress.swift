import Foundation

/// An email address, validated for shape and compared case-insensitively.
public struct EmailAddress: Hashable, Sendable, CustomStringConvertible {
    /// As the user typed it (trimmed).
    public let value: String
    /// The lowercased form used for uniqueness and lookup.
    public var normalized: String { value.lowercased() }

    /// Validates a plausible address: one `@`, non-empty local part, a dotted domain, no spaces, ≤ 254 bytes.
    public init?(_ text: String) {
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = t.split(separator: "@", omittingEmptySubsequences: false)
        guard t.utf8.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
            !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
            !t.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" || $0 == "\"" || $0.asciiValue == nil })
        else { return nil }
        value = t
    }

    public var description: String { value }

    /// Addresses are equal when their normalized forms are.
    public static func == (lhs: EmailAddress, rhs: EmailAddress) -> Bool { lhs.normalized == rhs.normalized }

    public func hash(into hasher: inout Hasher) { hasher.combine(normalized) }
}
