import Foundation

/// The fields of an `application/x-www-form-urlencoded` body or a query string, decoded strictly: a field that is
/// not valid UTF-8 after percent-decoding makes the whole form invalid, so bad bytes never reach storage.
public struct FormFields: Sendable, Equatable {
    /// Values by name, in order of appearance.
    public private(set) var values: [String: [String]] = [:]

    /// An empty form.
    public init() {}

    /// Parses `body`; nil when it is not a valid form (bad percent escapes or invalid UTF-8).
    public init?(urlEncoded body: some Collection<UInt8>) {
        for pair in body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(parts[0]) else { return nil }
            guard let value = parts.count > 1 ? Self.decode(parts[1]) : "" else { return nil }
            values[name, default: []].append(value)
        }
    }

    /// The first value of `name`, trimmed of surrounding whitespace; nil when absent.
    public subscript(_ name: String) -> String? {
        values[name]?.first.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// The first value of `name` exactly as sent (for passwords).
    public func raw(_ name: String) -> String? { values[name]?.first }

    /// Whether a checkbox named `name` was ticked.
    public func isChecked(_ name: String) -> Bool {
        guard let v = values[name]?.first else { return false }
        return v == "on" || v == "1" || v == "true" || v == "yes"
    }

    static func decode(_ bytes: some Collection<UInt8>) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var iterator = bytes.makeIterator()
        while let b = iterator.next() {
            switch b {
            case UInt8(ascii: "+"): out.append(0x20)
            case UInt8(ascii: "%"):
                guard let h = iterator.next().flatMap(Self.hexValue), let l = iterator.next().flatMap(Self.hexValue)
                else { return nil }
                out.append(h << 4 | l)
            default: out.append(b)
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
