#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Finds the members of a JSON object's top level without decoding it, so the relay can read and edit a few
/// fields of a request body while forwarding every other byte unchanged (no re-encoding, unknown fields kept).
///
/// The scanner validates structure only as far as it needs to find the members: strings with escapes, nested
/// objects and arrays, and scalars. Malformed input is reported as ``JSONScanError``.
public struct JSONObjectScanner: Sendable {
    /// One top-level member: its unescaped key and the byte range of its raw value.
    public struct Member: Sendable, Equatable {
        public var key: String
        public var valueRange: Range<Int>
    }

    /// The members in document order.
    public private(set) var members: [Member] = []
    /// Offset of the opening `{`.
    public private(set) var openBrace: Int = 0
    /// Offset of the closing `}`.
    public private(set) var closeBrace: Int = 0

    /// Scans `bytes`, which must hold one JSON object (surrounding whitespace allowed).
    public init(_ bytes: [UInt8]) throws(JSONScanError) {
        var members: [Member] = []
        let braces = try bytes.withUnsafeBufferPointer { b throws(JSONScanError) in
            try Self.scanTopLevel(b) { key, value throws(JSONScanError) in
                members.append(Member(key: try Self.decodeString(bytes[key]), valueRange: value))
            }
        }
        self.members = members
        openBrace = braces.open
        closeBrace = braces.close
    }

    /// The raw value range of the last member named `key` (JSON parsers keep the last duplicate).
    public func range(of key: String) -> Range<Int>? {
        members.last(where: { $0.key == key })?.valueRange
    }

    /// Checks that `bytes` holds one JSON object, as the initializer does (keys included), and returns for each of
    /// `keys` the raw value range of the last top-level member of that name, or nil. Key bytes are compared in
    /// place: no member list is built and no other key becomes a string (unless it holds an escape or, when
    /// rejecting duplicates, a non-ASCII byte). For bodies read once per request.
    ///
    /// With `rejectingDuplicates`, a second member named one of `keys` is an error
    /// (``JSONScanError/duplicateMember(_:)``), for a body that is checked and then forwarded, where another parser
    /// could keep the first. So is a member whose name equals one of `keys` only under Go's case folding (`MODEL`,
    /// `ſtream`): Go's encoding/json, in many self-hosted upstreams, reads it as that member. `keys` are lower case.
    public static func lastMembers(
        named keys: [String], in bytes: UnsafeBufferPointer<UInt8>, rejectingDuplicates: Bool = false
    ) throws(JSONScanError) -> (ranges: [Range<Int>?], openBrace: Int) {
        var ranges = [Range<Int>?](repeating: nil, count: keys.count)
        let braces = try scanTopLevel(bytes) { raw, value throws(JSONScanError) in
            let inner = UnsafeBufferPointer(rebasing: bytes[(raw.lowerBound + 1)..<(raw.upperBound - 1)])
            var plain = true
            var ascii = true
            for byte in inner {
                if byte == UInt8(ascii: "\\") { plain = false }
                if byte >= 0x80 { ascii = false }
            }
            // Which of `keys` the member is (by name, or by folded name when rejecting duplicates), and whether the
            // name is exactly that key.
            let index: Int?
            let exact: Bool
            if plain && ascii {
                if rejectingDuplicates {
                    index = keys.firstIndex { sameBytesFoldingASCIICase(inner, $0) }
                    exact = index.map { sameBytes(inner, keys[$0]) } ?? true
                } else {
                    index = keys.firstIndex { $0.utf8.count == inner.count && sameBytes(inner, $0) }
                    exact = true
                }
            } else {
                let key: String
                if plain {
                    guard let valid = String(validating: inner, as: UTF8.self) else { throw .invalidUTF8 }
                    key = valid
                } else {
                    key = try decodeString(Array(bytes[raw])[...])
                }
                index = keys.firstIndex(of: rejectingDuplicates ? foldedKey(key) : key)
                exact = index.map { keys[$0] == key } ?? true
            }
            guard let i = index else { return }
            if rejectingDuplicates && (ranges[i] != nil || !exact) { throw .duplicateMember(keys[i]) }
            ranges[i] = value
        }
        return (ranges, braces.open)
    }

    /// Whether `bytes` spell the lower-case ASCII `key` with letters in either case.
    static func sameBytesFoldingASCIICase(_ bytes: UnsafeBufferPointer<UInt8>, _ key: String) -> Bool {
        key.utf8.count == bytes.count
            && zip(bytes, key.utf8).allSatisfy { b, k in
                b == k || ((UInt8(ascii: "a")...UInt8(ascii: "z")).contains(k) && b | 0x20 == k)
            }
    }

    /// `key` as Go's encoding/json compares member names: ASCII letters in lower case, `ſ` as `s`, the Kelvin sign
    /// as `k`.
    static func foldedKey(_ key: String) -> String {
        String(
            String.UnicodeScalarView(
                key.unicodeScalars.map { scalar -> Unicode.Scalar in
                    switch scalar {
                    case "A"..."Z": Unicode.Scalar(scalar.value + 32)!
                    case "\u{17F}": "s"
                    case "\u{212A}": "k"
                    default: scalar
                    }
                }))
    }

    /// Whether `bytes` are the UTF-8 of `text`, compared as memory when the string is stored contiguously (string
    /// literals are): the generic element-by-element comparison showed in profiles of the relay.
    static func sameBytes(_ bytes: UnsafeBufferPointer<UInt8>, _ text: String) -> Bool {
        text.utf8.withContiguousStorageIfAvailable { utf8 in
            guard utf8.count == bytes.count else { return false }
            guard let a = bytes.baseAddress, let b = utf8.baseAddress else { return bytes.isEmpty }
            return memcmp(a, b, bytes.count) == 0
        } ?? bytes.elementsEqual(text.utf8)
    }

    /// The same, for an array.
    public static func lastMembers(named keys: [String], in bytes: [UInt8], rejectingDuplicates: Bool = false)
        throws(JSONScanError) -> (ranges: [Range<Int>?], openBrace: Int)
    {
        try bytes.withUnsafeBufferPointer { b throws(JSONScanError) in
            try lastMembers(named: keys, in: b, rejectingDuplicates: rejectingDuplicates)
        }
    }

    /// Walks one JSON object's top level, calling `visit` with each member's key literal range (quotes included)
    /// and raw value range, and returns the offsets of its braces.
    static func scanTopLevel(
        _ bytes: UnsafeBufferPointer<UInt8>, _ visit: (Range<Int>, Range<Int>) throws(JSONScanError) -> Void
    ) throws(JSONScanError) -> (open: Int, close: Int) {
        var i = 0
        skipWhitespace(bytes, &i)
        guard i < bytes.count, bytes[i] == UInt8(ascii: "{") else { throw .notAnObject }
        let open = i
        i += 1
        skipWhitespace(bytes, &i)
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
            try expectEnd(bytes, i + 1)
            return (open, i)
        }
        while true {
            skipWhitespace(bytes, &i)
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw .malformed(offset: i) }
            let keyStart = i
            try skipString(bytes, &i)
            let key = keyStart..<i
            skipWhitespace(bytes, &i)
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw .malformed(offset: i) }
            i += 1
            skipWhitespace(bytes, &i)
            let valueStart = i
            try skipValue(bytes, &i, depth: 0)
            try visit(key, valueStart..<i)
            skipWhitespace(bytes, &i)
            guard i < bytes.count else { throw .truncated }
            if bytes[i] == UInt8(ascii: ",") {
                i += 1
                continue
            }
            guard bytes[i] == UInt8(ascii: "}") else { throw .malformed(offset: i) }
            try expectEnd(bytes, i + 1)
            return (open, i)
        }
    }

    // MARK: - Lexing

    static let maxDepth = 512

    static func skipWhitespace(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int) {
        while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
    }

    static func expectEnd(_ b: UnsafeBufferPointer<UInt8>, _ start: Int) throws(JSONScanError) {
        var i = start
        skipWhitespace(b, &i)
        guard i == b.count else { throw .trailingData(offset: i) }
    }

    /// Skips a string starting at its opening quote; `i` ends just past the closing quote.
    static func skipString(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int) throws(JSONScanError) {
        i += 1
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\\") {
                i += 2
                continue
            }
            if c == UInt8(ascii: "\"") {
                i += 1
                return
            }
            if c < 0x20 { throw .malformed(offset: i) }
            i += 1
        }
        throw .truncated
    }

    static func skipValue(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, depth: Int) throws(JSONScanError) {
        guard depth < maxDepth else { throw .tooDeep }
        guard i < b.count else { throw .truncated }
        switch b[i] {
        case UInt8(ascii: "\""):
            try skipString(b, &i)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let close = b[i] == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            let isObject = close == UInt8(ascii: "}")
            i += 1
            skipWhitespace(b, &i)
            if i < b.count, b[i] == close {
                i += 1
                return
            }
            while true {
                skipWhitespace(b, &i)
                if isObject {
                    guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw .malformed(offset: i) }
                    try skipString(b, &i)
                    skipWhitespace(b, &i)
                    guard i < b.count, b[i] == UInt8(ascii: ":") else { throw .malformed(offset: i) }
                    i += 1
                    skipWhitespace(b, &i)
                }
                try skipValue(b, &i, depth: depth + 1)
                skipWhitespace(b, &i)
                guard i < b.count else { throw .truncated }
                if b[i] == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                guard b[i] == close else { throw .malformed(offset: i) }
                i += 1
                return
            }
        default:
            let start = i
            while i < b.count {
                let c = b[i]
                let isScalarByte =
                    (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
                    || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z"))
                    || c == UInt8(ascii: "-") || c == UInt8(ascii: "+") || c == UInt8(ascii: ".")
                    || c == UInt8(ascii: "E")
                guard isScalarByte else { break }
                i += 1
            }
            guard i > start else { throw .malformed(offset: start) }
            let word = UnsafeBufferPointer(rebasing: b[start..<i])
            if word.first.map({ $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }) == true {
                guard
                    word.elementsEqual("true".utf8) || word.elementsEqual("false".utf8)
                        || word.elementsEqual("null".utf8)
                else { throw .malformed(offset: start) }
            }
        }
    }

    /// Decodes a JSON string literal (with its quotes) into a Swift string.
    public static func decodeString(_ literal: ArraySlice<UInt8>) throws(JSONScanError) -> String {
        guard literal.count >= 2 else { throw .malformed(offset: literal.startIndex) }
        let body = literal.dropFirst().dropLast()
        if !body.contains(UInt8(ascii: "\\")) {
            guard let s = body.withUnsafeBufferPointer(Self.utf8String) else { throw .invalidUTF8 }
            return s
        }
        var out: [UInt8] = []
        out.reserveCapacity(body.count)
        var i = body.startIndex
        while i < body.endIndex {
            let c = body[i]
            guard c == UInt8(ascii: "\\") else {
                out.append(c)
                i += 1
                continue
            }
            guard i + 1 < body.endIndex else { throw .malformed(offset: i) }
            let e = body[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4(body, &i)
                if (0xD800..<0xDC00).contains(scalar), i + 1 < body.endIndex, body[i] == UInt8(ascii: "\\"),
                    body[i + 1] == UInt8(ascii: "u")
                {
                    i += 2
                    let low = try hex4(body, &i)
                    guard (0xDC00..<0xE000).contains(low) else { throw .malformed(offset: i) }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let u = Unicode.Scalar(scalar) else { throw .malformed(offset: i) }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default: throw .malformed(offset: i - 1)
            }
        }
        guard let s = out.withUnsafeBufferPointer(Self.utf8String) else { throw .invalidUTF8 }
        return s
    }

    /// The text of UTF-8 `bytes`, nil when they are not valid UTF-8; ASCII (most JSON text) skips the validation.
    static func utf8String(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        return String(validating: bytes, as: UTF8.self)
    }

    /// Reads the four hex digits of a `\u` escape at `i` and steps over them.
    static func hex4<Bytes: Collection<UInt8>>(_ b: Bytes, _ i: inout Int) throws(JSONScanError) -> UInt32
    where Bytes.Index == Int {
        guard i + 4 <= b.endIndex else { throw .truncated }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = b[i]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw .malformed(offset: i)
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }
}

/// Why a body is not a JSON object the relay can read.
public enum JSONScanError: Error, Equatable, Sendable, CustomStringConvertible {
    case notAnObject
    case malformed(offset: Int)
    case truncated
    case trailingData(offset: Int)
    case tooDeep
    case invalidUTF8
    /// A member the gateway reads appears twice.
    case duplicateMember(String)

    public var description: String {
        switch self {
        case .notAnObject: "the request body must be a JSON object"
        case .malformed(let o): "the request body is not valid JSON (at byte \(o))"
        case .truncated: "the request body is not valid JSON (it ends too early)"
        case .trailingData(let o): "the request body is not valid JSON (unexpected data at byte \(o))"
        case .tooDeep: "the request body is nested too deeply"
        case .invalidUTF8: "the request body is not valid UTF-8"
        case .duplicateMember(let key): "the request body has more than one '\(key)' member"
        }
    }
}
