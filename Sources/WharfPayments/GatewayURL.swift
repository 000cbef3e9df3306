/// Redaction of secrets in URLs and other text that is about to be logged (error messages of an HTTP client often
/// quote the URL, and Epay v1 sends the merchant key in the query).
public enum GatewayURL {
    /// The text shown instead of a secret.
    public static let mask = "***"

    /// `text` with the values of secret-bearing parameters replaced by `***`: `key=`, `sign=`, `hash=`,
    /// `signature=` (also `secret=`, `token=`, `password=` and names ending in `_key`, `-key`, `_secret`, `_token`),
    /// matched case-insensitively at a name boundary, both as `name=value` (up to `&`, `#`, whitespace, quotes or
    /// brackets) and as a JSON member `"name":"value"`; and the credentials after `Bearer ` or `Basic `.
    public static func redacted(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if isNameByte(bytes[i]), i == 0 || !isNameByte(bytes[i - 1]) {
                var end = i
                while end < bytes.count, isNameByte(bytes[end]) { end += 1 }
                let name = bytes[i..<end]
                out.append(contentsOf: name)
                i = end
                if isCredentialScheme(name), i < bytes.count, bytes[i] == UInt8(ascii: " ") {
                    out.append(bytes[i])
                    i = maskValue(bytes, from: i + 1, into: &out)
                } else if isSecretName(name), i < bytes.count, bytes[i] == UInt8(ascii: "=") {
                    out.append(bytes[i])
                    i = maskValue(bytes, from: i + 1, into: &out)
                }
                continue
            }
            if bytes[i] == UInt8(ascii: "\""), let next = maskJSONMember(bytes, at: i, into: &out) {
                i = next
                continue
            }
            out.append(bytes[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Masks the value starting at `start` (if any) and returns the offset after it.
    static func maskValue(_ bytes: [UInt8], from start: Int, into out: inout [UInt8]) -> Int {
        var i = start
        while i < bytes.count, !isValueEnd(bytes[i]) { i += 1 }
        if i > start { out.append(contentsOf: mask.utf8) }
        return i
    }

    /// When a JSON member named like a secret with a string value starts at `start` (a quote), writes it with the
    /// value masked and returns the offset after it; else nil.
    static func maskJSONMember(_ bytes: [UInt8], at start: Int, into out: inout [UInt8]) -> Int? {
        var i = start + 1
        while i < bytes.count, isNameByte(bytes[i]) { i += 1 }
        guard i < bytes.count, bytes[i] == UInt8(ascii: "\""), isSecretName(bytes[(start + 1)..<i]) else { return nil }
        i += 1
        while i < bytes.count, bytes[i] == UInt8(ascii: " ") { i += 1 }
        guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { return nil }
        i += 1
        while i < bytes.count, bytes[i] == UInt8(ascii: " ") { i += 1 }
        guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { return nil }
        let valueStart = i + 1
        var end = valueStart
        while end < bytes.count, bytes[end] != UInt8(ascii: "\"") {
            end += bytes[end] == UInt8(ascii: "\\") ? 2 : 1
        }
        out.append(contentsOf: bytes[start..<valueStart])
        out.append(contentsOf: mask.utf8)
        guard end < bytes.count else { return bytes.count }
        out.append(UInt8(ascii: "\""))
        return end + 1
    }

    static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default: false
        }
    }

    static func isValueEnd(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "&"), UInt8(ascii: "#"), UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"),
            UInt8(ascii: "\r"), UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "<"), UInt8(ascii: ">"),
            UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "}"):
            true
        default: false
        }
    }

    static let secretNames: Set<String> = ["key", "sign", "hash", "signature", "secret", "token", "password"]
    static let secretSuffixes = ["_key", "-key", "_secret", "-secret", "_token", "-token"]

    static func isSecretName(_ name: ArraySlice<UInt8>) -> Bool {
        let lower = String(decoding: name, as: UTF8.self).lowercased()
        return secretNames.contains(lower) || secretSuffixes.contains { lower.hasSuffix($0) }
    }

    static func isCredentialScheme(_ name: ArraySlice<UInt8>) -> Bool {
        let lower = String(decoding: name, as: UTF8.self).lowercased()
        return lower == "bearer" || lower == "basic"
    }
}
