/// `application/x-www-form-urlencoded` bodies and URL queries, parsed strictly and encoded the way PHP's `urlencode`
/// does (which is what Epay and HupiJiao servers use).
public enum FormParameters {
    /// The largest text accepted, in UTF-8 bytes.
    public static let maxBytes = 16 * 1024
    /// The most pairs accepted.
    public static let maxPairs = 100

    /// Parses `application/x-www-form-urlencoded` (also a URL query without its `?`): `+` is a space, `%XX` decoded
    /// as UTF-8. A name that appears twice (after decoding), an empty name, invalid percent-encoding or invalid UTF-8,
    /// more than ``maxPairs`` pairs or more than ``maxBytes`` bytes -> ``PaymentRejection/malformed(_:)``. Empty
    /// values are kept (`""`), a pair without `=` has the value `""`, and empty segments (`a=1&&b=2`) are skipped.
    public static func parse(_ text: String) throws(PaymentRejection) -> [String: String] {
        let bytes = Array(text.utf8)
        guard bytes.count <= maxBytes else { throw .malformed("form is larger than 16 KiB") }
        var result: [String: String] = [:]
        for pair in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            guard result.count < maxPairs else { throw .malformed("form has more than 100 fields") }
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = try decode(parts[0])
            let value = parts.count > 1 ? try decode(parts[1]) : ""
            guard !name.isEmpty else { throw .malformed("form field without a name") }
            guard result[name] == nil else { throw .malformed("form field repeated") }
            result[name] = value
        }
        return result
    }

    /// Parses a notify that may arrive by GET (query) or by POST form (body), never both: when both the query and the
    /// body hold at least one pair -> ``PaymentRejection/malformed(_:)``; otherwise the one that is not empty is
    /// parsed with ``parse(_:)`` (an empty result when both are empty or nil).
    public static func parse(query: String?, body: String?) throws(PaymentRejection) -> [String: String] {
        let fromQuery = try parse(query ?? "")
        let fromBody = try parse(body ?? "")
        guard fromQuery.isEmpty || fromBody.isEmpty else { throw .malformed("parameters both in query and body") }
        return fromQuery.isEmpty ? fromBody : fromQuery
    }

    /// Encodes `pairs` in order as `k=v&…`, PHP `urlencode` style: `A-Z a-z 0-9 - _ .` kept, space as `+`, every
    /// other byte of the UTF-8 as `%XX` in upper case.
    public static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { escape($0.0) + "=" + escape($0.1) }.joined(separator: "&")
    }

    /// One name or value, PHP `urlencode` style.
    static func escape(_ text: String) -> String {
        let upperHex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
                out.append(byte)
            case UInt8(ascii: " "):
                out.append(UInt8(ascii: "+"))
            default:
                out.append(UInt8(ascii: "%"))
                out.append(upperHex[Int(byte >> 4)])
                out.append(upperHex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes one name or value.
    static func decode(_ bytes: ArraySlice<UInt8>) throws(PaymentRejection) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let byte = bytes[i]
            switch byte {
            case UInt8(ascii: "+"):
                out.append(UInt8(ascii: " "))
                i += 1
            case UInt8(ascii: "%"):
                guard i + 3 <= bytes.endIndex, let high = hexValue(bytes[i + 1]), let low = hexValue(bytes[i + 2])
                else { throw .malformed("bad percent-encoding in form") }
                out.append(high << 4 | low)
                i += 3
            default:
                out.append(byte)
                i += 1
            }
        }
        guard let text = String(validating: out, as: UTF8.self) else { throw .malformed("form is not UTF-8") }
        return text
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
