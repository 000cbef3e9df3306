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
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            if let first = line.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") {
                throw .obsoleteFolding
            }
            throw .noColon
        }
        let name = line[line.startIndex..<colon]
        guard !name.isEmpty, name.allSatisfy(isTokenByte) else { throw .badName }
        let value = trimmed(line[(colon + 1)...])
        guard value.allSatisfy({ $0 >= 0x20 && $0 != 0x7F || $0 == UInt8(ascii: "\t") }) else {
            throw .controlCharacter
        }
        return (name, value)
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
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}
