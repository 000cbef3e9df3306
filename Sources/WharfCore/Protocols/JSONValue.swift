/// Why bytes are not one acceptable JSON value.
public enum JSONValueError: Error, Sendable, Equatable {
    /// Not JSON (or trailing data after the value).
    case invalid
    /// A member name repeated in one object.
    case repeatedMember
    /// Nested deeper than ``JSONValue/maxDepth``.
    case tooDeep
}

/// A JSON document read strictly, with numbers kept as their exact token text (so amounts never pass through a
/// `Double`, a signature can be checked over the text a gateway signed, and a translated request carries the
/// caller's numbers unchanged). Member order is kept. Duplicate member names, invalid UTF-8, trailing data and
/// nesting deeper than ``maxDepth`` are errors. Used by the payment gateways' replies and by protocol translation.
public enum JSONValue: Sendable, Equatable {
    case object([(key: String, value: JSONValue)])
    case array([JSONValue])
    case string(String)
    /// The number's token text exactly as written (`100`, `14.2857`, `-1e3`).
    case number(String)
    case bool(Bool)
    case null

    /// Deepest nesting accepted: as deep as the relay's scanner reads (``JSONObjectScanner``), so a model's deeply
    /// nested tool input does not make a paid answer unreadable; the recursion stays far inside a thread's stack.
    public static let maxDepth = 512

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case (.array(let x), .array(let y)): x == y
        case (.string(let x), .string(let y)): x == y
        case (.number(let x), .number(let y)): x == y
        case (.bool(let x), .bool(let y)): x == y
        case (.null, .null): true
        default: false
        }
    }

    /// Parses `bytes`, which must hold exactly one JSON value (whitespace around it allowed).
    public static func parse(_ bytes: [UInt8]) throws(JSONValueError) -> JSONValue {
        var parser = JSONValueParser(bytes: bytes)
        parser.skipWhitespace()
        // The root is not counted, as in the scanner: both read the same bodies.
        let value = try parser.value(depth: -1)
        parser.skipWhitespace()
        guard parser.i == bytes.count else { throw .invalid }
        return value
    }

    /// Parses `bytes` and requires an object at the top.
    public static func parseObject(_ bytes: [UInt8]) throws(JSONValueError) -> JSONValue {
        let value = try parse(bytes)
        guard case .object = value else { throw .invalid }
        return value
    }

    /// The members of an object, or empty.
    public var members: [(key: String, value: JSONValue)] {
        if case .object(let members) = self { return members }
        return []
    }

    /// The value of member `key` of an object, or nil.
    public subscript(_ key: String) -> JSONValue? {
        members.first { $0.key == key }?.value
    }

    /// The string value, or nil.
    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// A non-empty string value, or nil.
    public var nonEmptyString: String? {
        guard let s = string, !s.isEmpty else { return nil }
        return s
    }

    /// A string's text or a number's token text (for fields that clones send either way), or nil.
    public var scalarText: String? {
        switch self {
        case .string(let s): s
        case .number(let n): n
        default: nil
        }
    }

    /// Whether the value is an object.
    public var isObject: Bool {
        if case .object = self { return true }
        return false
    }

    /// The value of a number token that is a plain integer (`-?[0-9]+`, no fraction, no exponent) fitting `Int64`;
    /// nil for anything else.
    public var integer: Int64? {
        guard case .number(let text) = self else { return nil }
        return Self.integer(text)
    }

    /// The integer written as `text` (`-?[0-9]+`), or nil.
    public static func integer(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        let negative = bytes.first == UInt8(ascii: "-")
        let digits = negative ? bytes.dropFirst() : bytes[...]
        guard !digits.isEmpty, digits.allSatisfy(JSONValueParser.isDigit) else { return nil }
        var value: Int64 = 0
        for digit in digits {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let d = Int64(digit - UInt8(ascii: "0"))
            let (next, o2) = negative ? times10.subtractingReportingOverflow(d) : times10.addingReportingOverflow(d)
            guard !o1, !o2 else { return nil }
            value = next
        }
        return value
    }

    /// An integer given as a number or a string (`1` or `"1"`), for clones that quote numbers; else nil.
    public var lenientInteger: Int64? {
        switch self {
        case .number(let n): Self.integer(n)
        case .string(let s): Self.integer(s)
        default: nil
        }
    }
}

/// The recursive-descent reader behind ``JSONValue/parse(_:)``.
struct JSONValueParser {
    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    let bytes: [UInt8]
    var i = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    static let invalid = JSONValueError.invalid

    mutating func skipWhitespace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 {
            i += 1
        }
    }

    mutating func value(depth: Int) throws(JSONValueError) -> JSONValue {
        guard depth < JSONValue.maxDepth else { throw .tooDeep }
        guard i < bytes.count else { throw Self.invalid }
        switch bytes[i] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        default: return .number(try number())
        }
    }

    mutating func object(depth: Int) throws(JSONValueError) -> JSONValue {
        i += 1
        var members: [(key: String, value: JSONValue)] = []
        // Repeated names: compared one by one while the object is small (most are), with a set beyond.
        var seen: Set<String>?
        skipWhitespace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
            i += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw Self.invalid }
            let key = try string()
            if members.count < 16 {
                guard !members.contains(where: { $0.key == key }) else { throw .repeatedMember }
            } else {
                if seen == nil { seen = Set(members.map(\.key)) }
                guard seen?.insert(key).inserted == true else { throw .repeatedMember }
            }
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw Self.invalid }
            i += 1
            skipWhitespace()
            members.append((key, try value(depth: depth + 1)))
            skipWhitespace()
            guard i < bytes.count else { throw Self.invalid }
            if bytes[i] == UInt8(ascii: ",") {
                i += 1
                continue
            }
            guard bytes[i] == UInt8(ascii: "}") else { throw Self.invalid }
            i += 1
            return .object(members)
        }
    }

    mutating func array(depth: Int) throws(JSONValueError) -> JSONValue {
        i += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
            i += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try value(depth: depth + 1))
            skipWhitespace()
            guard i < bytes.count else { throw Self.invalid }
            if bytes[i] == UInt8(ascii: ",") {
                i += 1
                continue
            }
            guard bytes[i] == UInt8(ascii: "]") else { throw Self.invalid }
            i += 1
            return .array(elements)
        }
    }

    /// Reads a string literal at `i` (its opening quote) and decodes it.
    mutating func string() throws(JSONValueError) -> String {
        let start = i
        var escaped = false
        i += 1
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\\") {
                escaped = true
                i += 2
                continue
            }
            if c == UInt8(ascii: "\"") {
                i += 1
                if !escaped {
                    let end = i - 1
                    let text = bytes.withUnsafeBufferPointer { all in
                        JSONObjectScanner.utf8String(UnsafeBufferPointer(rebasing: all[(start + 1)..<end]))
                    }
                    guard let text else { throw Self.invalid }
                    return text
                }
                do {
                    return try JSONObjectScanner.decodeString(bytes[start..<i])
                } catch {
                    throw Self.invalid
                }
            }
            guard c >= 0x20 else { throw Self.invalid }
            i += 1
        }
        throw Self.invalid
    }

    mutating func literal(_ word: StaticString, _ value: JSONValue) throws(JSONValueError) -> JSONValue {
        let count = word.utf8CodeUnitCount
        guard i + count <= bytes.count else { throw Self.invalid }
        let start = word.utf8Start
        for k in 0..<count where bytes[i + k] != start[k] { throw Self.invalid }
        i += count
        return value
    }

    /// Reads a number token (RFC 8259 grammar) and returns its text.
    mutating func number() throws(JSONValueError) -> String {
        let start = i
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard i < bytes.count, JSONValueParser.isDigit(bytes[i]) else { throw Self.invalid }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            while i < bytes.count, JSONValueParser.isDigit(bytes[i]) { i += 1 }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            try digits()
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            try digits()
        }
        return String(decoding: bytes[start..<i], as: UTF8.self)
    }

    mutating func digits() throws(JSONValueError) {
        let start = i
        while i < bytes.count, JSONValueParser.isDigit(bytes[i]) { i += 1 }
        guard i > start else { throw Self.invalid }
    }
}
