/// The text of redemption codes: 140 random bits in Crockford base32, shown as `WHRF-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX`,
/// and the normalisation that lets people type them loosely (any case, with or without dashes or spaces, O for 0,
/// I or L for 1).
public enum RedemptionCodeText {
    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)
    /// Characters of randomness in a code (5 bits each).
    public static let length = 28

    /// A new code from `generator` (use a cryptographic one: `SystemRandomNumberGenerator`).
    public static func make(using generator: inout some RandomNumberGenerator) -> String {
        var chars: [UInt8] = []
        chars.reserveCapacity(length)
        for _ in 0..<length { chars.append(alphabet[Int(generator.next(upperBound: UInt8(32)))]) }
        var groups: [String] = ["WHRF"]
        for start in stride(from: 0, to: length, by: 4) {
            groups.append(String(decoding: chars[start..<min(start + 4, length)], as: UTF8.self))
        }
        return groups.joined(separator: "-")
    }

    /// The canonical form of typed text (the 28 code characters, uppercase, without the `WHRF` prefix), or nil
    /// when it cannot be a code.
    public static func normalize(_ text: String) -> String? {
        guard text.utf8.count <= 100 else { return nil }
        var out: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "-"), UInt8(ascii: " "), UInt8(ascii: "\t"): continue
            default: break
            }
            var c = byte
            if c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z") { c -= 32 }
            switch c {
            case UInt8(ascii: "O"): c = UInt8(ascii: "0")
            case UInt8(ascii: "I"), UInt8(ascii: "L"): c = UInt8(ascii: "1")
            default: break
            }
            guard alphabet.contains(c) else { return nil }
            out.append(c)
        }
        if out.count == length + 4, out.prefix(4).elementsEqual("WHRF".utf8) { out.removeFirst(4) }
        guard out.count == length else { return nil }
        return String(decoding: out, as: UTF8.self)
    }

    /// The last four characters, to tell codes apart in lists without revealing them.
    public static func hint(ofNormalized code: String) -> String { String(code.suffix(4)) }
}
