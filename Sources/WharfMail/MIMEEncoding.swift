import Foundation

/// Pure encoders for the pieces of an RFC 5322 / MIME message.
enum MIMEEncoding {
    /// Base64 of `bytes`, broken into lines of at most 76 characters, each ending in CRLF.
    static func base64Lines(_ bytes: some Collection<UInt8>) -> String {
        let encoded = Data(bytes).base64EncodedString()
        var out = ""
        out.reserveCapacity(encoded.utf8.count + encoded.utf8.count / 38 + 2)
        var index = encoded.startIndex
        while index < encoded.endIndex {
            let end = encoded.index(index, offsetBy: 76, limitedBy: encoded.endIndex) ?? encoded.endIndex
            out += encoded[index..<end]
            out += "\r\n"
            index = end
        }
        return out
    }

    /// `text` with every line break (CRLF, CR or LF) written as CRLF, as MIME text requires.
    static func normalizingLineEndings(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        var previousWasCR = false
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\r":
                out += "\r\n"
                previousWasCR = true
            case "\n":
                if !previousWasCR { out += "\r\n" }
                previousWasCR = false
            default:
                out.unicodeScalars.append(scalar)
                previousWasCR = false
            }
        }
        return out
    }

    /// `text` with every control character (CR and LF included) replaced by a space: safe in a header.
    static func headerSafe(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            out.unicodeScalars.append(scalar.properties.generalCategory == .control ? " " : scalar)
        }
        return out
    }

    /// True when `text` is printable ASCII only (no control characters).
    static func isPrintableASCII(_ text: String) -> Bool {
        text.utf8.allSatisfy { (0x20...0x7E).contains($0) }
    }

    /// RFC 2047 `=?UTF-8?B?...?=` encoded words for `text`, each at most 75 characters and never splitting a
    /// character, joined by CRLF + space (header folding).
    static func encodedWords(_ text: String) -> String {
        // 39 bytes -> 52 base64 characters -> 64 with the `=?UTF-8?B?` `?=` frame, so `Subject: ` + a word stays
        // within the recommended 78 characters per line.
        let maxBytesPerWord = 39
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if !chunk.isEmpty, chunk.count + bytes.count > maxBytesPerWord {
                words.append(encodedWord(chunk))
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append(encodedWord(chunk)) }
        return words.joined(separator: "\r\n ")
    }

    private static func encodedWord(_ bytes: [UInt8]) -> String {
        "=?UTF-8?B?\(Data(bytes).base64EncodedString())?="
    }

    /// A header value for an unstructured text such as a subject: plain when short printable ASCII, otherwise
    /// encoded words. Control characters are replaced by spaces first, so the value can never start a new header.
    static func unstructuredHeaderValue(_ text: String) -> String {
        let safe = headerSafe(text)
        if isPrintableASCII(safe), safe.utf8.count <= 900, !safe.contains("=?") { return safe }
        return encodedWords(safe)
    }

    /// `Name <local@domain>` (name quoted or encoded as needed), or `<local@domain>` without a name.
    static func mailbox(_ address: MailAddress) -> String {
        guard let name = address.displayName.map(headerSafe), !name.isEmpty else { return "<\(address.address)>" }
        let phrase: String
        if isPrintableASCII(name), !name.contains("=?") {
            let escaped = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            phrase = "\"\(escaped)\""
        } else {
            phrase = encodedWords(name)
        }
        return "\(phrase) <\(address.address)>"
    }

    /// The RFC 5322 date-time of `date` in UTC, e.g. `Tue, 01 Jul 2025 12:00:00 +0000`.
    static func rfc5322Date(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0) ?? calendar.timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let weekday = days[((c.weekday ?? 1) - 1 + 7) % 7]
        let month = months[((c.month ?? 1) - 1 + 12) % 12]
        func two(_ value: Int?) -> String {
            let v = value ?? 0
            return v < 10 ? "0\(v)" : "\(v)"
        }
        return
            "\(weekday), \(two(c.day)) \(month) \(c.year ?? 1970) \(two(c.hour)):\(two(c.minute)):\(two(c.second)) +0000"
    }

    /// `value` reduced to the characters allowed inside `<...>` of a Message-ID (printable ASCII without
    /// spaces, `<` and `>`).
    static func messageIDSafe(_ value: String) -> String {
        String(
            String.UnicodeScalarView(
                value.unicodeScalars.filter {
                    $0.isASCII && $0.value > 0x20 && $0.value < 0x7F && $0 != "<" && $0 != ">"
                }))
    }

    /// A multipart boundary derived from `seed` (deterministic, so rendering is a pure function). Base64 output
    /// can never contain `=_`, so the boundary cannot collide with a body line.
    static func boundary(seed: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in seed.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "=_wharf_" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
