/// The one escaping function for text that goes into HTML (pages) or XML (the SVG charts).
///
/// It works on UTF-8 bytes, which is the same as working on Unicode scalars here: the five special characters are
/// ASCII, and no byte of a multi-byte UTF-8 sequence is ASCII. Working on whole characters (grapheme clusters)
/// instead is the bug it exists to avoid: a quote, angle bracket or ampersand joined to a combining mark after it,
/// or to a "Prepend" character such as U+0600 before it, is one `Character` that equals none of the specials, and an
/// escaper that compares characters lets it through raw.
public enum HTMLEscaping {
    /// `text` with `&`, `<`, `>`, `"` and `'` replaced by entities, whatever they are joined to; safe in element
    /// text and in attribute values in either kind of quotes.
    public static func escape(_ text: String) -> String {
        guard text.utf8.contains(where: isSpecial) else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 32)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "&"): out.append(contentsOf: "&amp;".utf8)
            case UInt8(ascii: "<"): out.append(contentsOf: "&lt;".utf8)
            case UInt8(ascii: ">"): out.append(contentsOf: "&gt;".utf8)
            case UInt8(ascii: "\""): out.append(contentsOf: "&quot;".utf8)
            case UInt8(ascii: "'"): out.append(contentsOf: "&#39;".utf8)
            default: out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func isSpecial(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "&") || byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">")
            || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'")
    }
}
