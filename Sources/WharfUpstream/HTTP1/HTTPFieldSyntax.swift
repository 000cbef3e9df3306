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

    /// A field line split into its name and its value without surrounding spaces; the name is a token and the value
    /// holds no control character other than a tab.
    package static func split(_ line: ByteBufferView) throws(Refusal) -> (name: ByteBufferView, value: ByteBufferView) {
        // Read through a pointer: this runs for every field of every request the relay reads itself.
        let read = { (bytes: UnsafeBufferPointer<UInt8>) in
            Result { () throws(Refusal) in try splitOffsets(bytes) }
        }
        let offsets = line.withContiguousStorageIfAvailable(read) ?? Array(line).withUnsafeBufferPointer(read)
        let (name, value) = try offsets.get()
        let base = line.startIndex
        return (
            line[(base + name.lowerBound)..<(base + name.upperBound)],
            line[(base + value.lowerBound)..<(base + value.upperBound)]
        )
    }

    /// The offsets of the name and the trimmed value in a field line.
    private static func splitOffsets(_ bytes: UnsafeBufferPointer<UInt8>) throws(Refusal)
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

    /// `bytes` without leading or trailing spaces and tabs.
    package static func trimmed(_ bytes: ByteBufferView) -> ByteBufferView {
        var bytes = bytes
        while let first = bytes.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") {
            bytes = bytes.dropFirst()
        }
        while let last = bytes.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") {
            bytes = bytes.dropLast()
        }
        return bytes
    }

    /// Calls `body` with each comma-separated item of a field value, trimmed; empty items are skipped.
    package static func forEachListItem<E: Error>(_ value: ByteBufferView, _ body: (ByteBufferView) throws(E) -> Void)
        throws(E)
    {
        var rest = value[...]
        while !rest.isEmpty {
            let comma = rest.firstIndex(of: UInt8(ascii: ",")) ?? rest.endIndex
            let item = trimmed(rest[rest.startIndex..<comma])
            rest = comma == rest.endIndex ? rest[comma...] : rest[(comma + 1)...]
            if !item.isEmpty { try body(item) }
        }
    }

    /// Whether `bytes` is `lowercase` in any letter case (`lowercase` holds only lowercase letters, digits and `-`,
    /// so setting bit 5 of a byte can only make it match when the byte is that letter in upper case).
    package static func equalsLowercased(_ bytes: ByteBufferView, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        return lowercase.withUTF8Buffer { expected in
            zip(bytes, expected).allSatisfy { $0 == $1 || ($0 | 0x20 == $1 && $1 >= UInt8(ascii: "a")) }
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
