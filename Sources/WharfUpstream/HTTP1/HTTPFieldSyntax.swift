import NIOCore

/// The field-line syntax of HTTP/1.1 (RFC 9110 section 5, RFC 9112 section 5), shared by the relay's own readers of
/// upstream responses and of client requests. Pure functions over bytes.
package enum HTTPFieldSyntax {
    /// Why a field line was refused.
    package enum Refusal: Error, Equatable {
        case noColon
        case obsoleteFolding
        case badName
        case controlCharacter
    }

    /// A field line split into the offsets of its name and of its value without surrounding spaces; the name is a
    /// token and the value holds no control character other than a tab. Over memory: this runs for every field of
    /// every request and response the relay reads itself.
    package static func splitOffsets(_ bytes: UnsafeBufferPointer<UInt8>) throws(Refusal)
        -> (name: Range<Int>, value: Range<Int>)
    {
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else {
            if let first = bytes.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") {
                throw .obsoleteFolding
            }
            throw .noColon
        }
        guard colon > 0 else { throw .badName }
        for i in 0..<colon where !isTokenByte(bytes[i]) { throw .badName }
        var start = colon + 1
        var end = bytes.count
        while start < end, bytes[start] == UInt8(ascii: " ") || bytes[start] == UInt8(ascii: "\t") { start += 1 }
        while end > start, bytes[end - 1] == UInt8(ascii: " ") || bytes[end - 1] == UInt8(ascii: "\t") { end -= 1 }
        for i in start..<end {
            let byte = bytes[i]
            guard byte >= 0x20 && byte != 0x7F || byte == UInt8(ascii: "\t") else { throw .controlCharacter }
        }
        return (0..<colon, start..<end)
    }

    /// Whether `bytes` is `lowercase` in any letter case (`lowercase` holds only lowercase letters, digits and `-`,
    /// so setting bit 5 of a byte can only make it match when the byte is that letter in upper case).
    package static func equalsLowercased(_ bytes: UnsafeBufferPointer<UInt8>, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        return lowercase.withUTF8Buffer { expected in
            for i in 0..<expected.count {
                let byte = bytes[i]
                let want = expected[i]
                guard byte == want || (byte | 0x20 == want && want >= UInt8(ascii: "a")) else { return false }
            }
            return true
        }
    }

    /// Calls `body` with each comma-separated item of a field value, trimmed of spaces and tabs; empty items are
    /// skipped.
    package static func forEachListItem<E: Error>(
        _ value: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) throws(E) -> Void
    ) throws(E) {
        var start = 0
        while start < value.count {
            var comma = start
            while comma < value.count && value[comma] != UInt8(ascii: ",") { comma += 1 }
            var from = start
            var to = comma
            while from < to && (value[from] == UInt8(ascii: " ") || value[from] == UInt8(ascii: "\t")) { from += 1 }
            while to > from && (value[to - 1] == UInt8(ascii: " ") || value[to - 1] == UInt8(ascii: "\t")) { to -= 1 }
            if to > from { try body(UnsafeBufferPointer(rebasing: value[from..<to])) }
            start = comma + 1
        }
    }

    /// `tchar` of RFC 9110.
    package static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
            UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "^"), UInt8(ascii: "`"),
            UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}
