/// What the meter needs from one JSON document of an upstream answer (an SSE event's data, or a whole non-streamed
/// body), found by a real, validating JSON reading in one pass: any formatting, escapes and key order give the same
/// facts.
///
/// - `textBytes`: the UTF-8 length of the decoded string values of the members that carry generated text, at any
///   depth (see ``JSONPayloadReader/textKeys``). `"caf\u00e9"` and `"café"` both count 5.
/// - `usage`: the raw range of the top-level `usage` object, else of `response.usage` (Responses-API events).
/// - `type`: the decoded top-level `type` string, when it starts with `response.` (Responses-API events).
/// - `choicesEmpty`: whether the top level has `"choices": []` (the usage-only chunk of a chat stream).
public struct JSONPayloadFacts: Equatable, Sendable {
    public var textBytes = 0
    public var usage: Range<Int>?
    public var responsesType: String?
    public var choicesEmpty = false

    public init() {}

    /// A Responses-API delta event: the only kind whose text is new (`.done` events and `response.completed` repeat
    /// it).
    public var isResponsesDelta: Bool { responsesType?.hasSuffix(".delta") ?? false }
}

/// Reads one JSON document for ``JSONPayloadFacts``. Pure; no allocation for documents without escapes in keys.
public enum JSONPayloadReader {
    /// Members whose string values are generated text: chat `content`, `refusal`, reasoning (`reasoning_content`,
    /// `reasoning`, `thinking`), tool-call `arguments` and `partial_json`, completion and Responses `text`, Responses
    /// `delta`.
    public static let textKeys: [String] = [
        "content", "refusal", "reasoning_content", "reasoning", "thinking", "arguments", "partial_json", "text",
        "delta",
    ]

    /// Deepest nesting accepted.
    static let maxDepth = 256

    /// Reads `bytes`, which must hold exactly one JSON value (whitespace around it allowed); throws on anything
    /// that is not valid JSON.
    public static func read(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONScanError) -> JSONPayloadFacts {
        var reader = Reader(b: bytes)
        reader.skipWhitespace()
        try reader.value(depth: 0, role: .root)
        reader.skipWhitespace()
        guard reader.i == bytes.count else { throw .trailingData(offset: reader.i) }
        return reader.facts
    }

    /// The text bytes of the whole strings in a document that may be cut short (an answer read in part): for a whole
    /// document the same count as ``read(_:)-([UInt8])``, for a cut one the text before the cut (a string cut in two
    /// does not count); nil when the bytes there are not the start of a JSON document.
    public static func textBytes(inPrefix bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var reader = Reader(b: bytes)
        reader.skipWhitespace()
        do {
            try reader.value(depth: 0, role: .root)
            return reader.facts.textBytes
        } catch .truncated {
            return reader.facts.textBytes
        } catch {
            return nil
        }
    }

    /// The same, over an array.
    public static func read(_ bytes: [UInt8]) throws(JSONScanError) -> JSONPayloadFacts {
        try bytes.withUnsafeBufferPointer { b throws(JSONScanError) in try read(b) }
    }

    /// The same over a slice.
    public static func read(_ bytes: ArraySlice<UInt8>) throws(JSONScanError) -> JSONPayloadFacts {
        try bytes.withUnsafeBufferPointer { b throws(JSONScanError) in try read(b) }
    }

    /// What a value is, for the facts: where it sits decides what is recorded.
    enum Role {
        /// The document itself.
        case root
        /// The top-level `response` object (Responses-API events).
        case response
        /// A string here is generated text.
        case text
        /// The top-level `usage`, or `response.usage`.
        case usage
        /// The top-level `type`.
        case type
        /// The top-level `choices`.
        case choices
        /// Anything else.
        case other
    }

    struct Reader {
        let b: UnsafeBufferPointer<UInt8>
        var i = 0
        var facts = JSONPayloadFacts()

        init(b: UnsafeBufferPointer<UInt8>) { self.b = b }

        mutating func skipWhitespace() {
            while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
        }

        mutating func value(depth: Int, role: Role) throws(JSONScanError) {
            guard i < b.count else { throw .truncated }
            let start = i
            switch b[i] {
            case UInt8(ascii: "{"):
                try object(depth: depth + 1, role: role)
                if role == .usage && facts.usage == nil { facts.usage = start..<i }
            case UInt8(ascii: "["):
                try array(depth: depth + 1)
                if role == .choices { facts.choicesEmpty = isEmptyContainer(start..<i) }
            case UInt8(ascii: "\""):
                if role == .type {
                    _ = try string()
                    let literal = ArraySlice(UnsafeBufferPointer(rebasing: b[start..<i]))
                    if let text = try? JSONObjectScanner.decodeString(literal), text.hasPrefix("response.") {
                        facts.responsesType = text
                    }
                } else {
                    let length = try string()
                    if role == .text { facts.textBytes += length }
                }
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            default: try number()
            }
        }

        /// Whether the container at `range` holds only whitespace between its brackets.
        func isEmptyContainer(_ range: Range<Int>) -> Bool {
            var j = range.lowerBound + 1
            while j < range.upperBound - 1 {
                let c = b[j]
                if !(c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09) { return false }
                j += 1
            }
            return true
        }

        mutating func object(depth: Int, role: Role) throws(JSONScanError) {
            guard depth <= JSONPayloadReader.maxDepth else { throw .tooDeep }
            i += 1
            skipWhitespace()
            guard i < b.count else { throw .truncated }
            if b[i] == UInt8(ascii: "}") {
                i += 1
                return
            }
            while true {
                skipWhitespace()
                guard i < b.count else { throw .truncated }
                guard b[i] == UInt8(ascii: "\"") else { throw .malformed(offset: i) }
                let keyStart = i
                _ = try string()
                let memberRole = try roleOf(key: keyStart..<i, in: role)
                skipWhitespace()
                guard i < b.count else { throw .truncated }
                guard b[i] == UInt8(ascii: ":") else { throw .malformed(offset: i) }
                i += 1
                skipWhitespace()
                try value(depth: depth, role: memberRole)
                skipWhitespace()
                guard i < b.count else { throw .truncated }
                if b[i] == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                guard b[i] == UInt8(ascii: "}") else { throw .malformed(offset: i) }
                i += 1
                return
            }
        }

        mutating func array(depth: Int) throws(JSONScanError) {
            guard depth <= JSONPayloadReader.maxDepth else { throw .tooDeep }
            i += 1
            skipWhitespace()
            guard i < b.count else { throw .truncated }
            if b[i] == UInt8(ascii: "]") {
                i += 1
                return
            }
            while true {
                skipWhitespace()
                try value(depth: depth, role: .other)
                skipWhitespace()
                guard i < b.count else { throw .truncated }
                if b[i] == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                guard b[i] == UInt8(ascii: "]") else { throw .malformed(offset: i) }
                i += 1
                return
            }
        }

        /// The role of the value of the member whose key literal (quotes included) is at `key`, in a container of
        /// role `parent`.
        func roleOf(key: Range<Int>, in parent: Role) throws(JSONScanError) -> Role {
            let inner = UnsafeBufferPointer(rebasing: b[(key.lowerBound + 1)..<(key.upperBound - 1)])
            if inner.contains(UInt8(ascii: "\\")) {
                let decoded = try JSONObjectScanner.decodeString(
                    ArraySlice(UnsafeBufferPointer(rebasing: b[key])))
                return role(named: decoded, in: parent)
            }
            switch parent {
            case .root:
                if JSONObjectScanner.sameBytes(inner, "usage") { return .usage }
                if JSONObjectScanner.sameBytes(inner, "type") { return .type }
                if JSONObjectScanner.sameBytes(inner, "choices") { return .choices }
                if JSONObjectScanner.sameBytes(inner, "response") { return .response }
            case .response:
                if JSONObjectScanner.sameBytes(inner, "usage") { return .usage }
            default: break
            }
            return Self.isTextKey(inner) ? .text : .other
        }

        func role(named key: String, in parent: Role) -> Role {
            switch (parent, key) {
            case (.root, "usage"), (.response, "usage"): return .usage
            case (.root, "type"): return .type
            case (.root, "choices"): return .choices
            case (.root, "response"): return .response
            default: return JSONPayloadReader.textKeys.contains(key) ? .text : .other
            }
        }

        static func isTextKey(_ inner: UnsafeBufferPointer<UInt8>) -> Bool {
            guard let first = inner.first else { return false }
            switch first {
            case UInt8(ascii: "c"): return JSONObjectScanner.sameBytes(inner, "content")
            case UInt8(ascii: "r"):
                return JSONObjectScanner.sameBytes(inner, "refusal")
                    || JSONObjectScanner.sameBytes(inner, "reasoning_content")
                    || JSONObjectScanner.sameBytes(inner, "reasoning")
            case UInt8(ascii: "t"):
                return JSONObjectScanner.sameBytes(inner, "text") || JSONObjectScanner.sameBytes(inner, "thinking")
            case UInt8(ascii: "a"): return JSONObjectScanner.sameBytes(inner, "arguments")
            case UInt8(ascii: "p"): return JSONObjectScanner.sameBytes(inner, "partial_json")
            case UInt8(ascii: "d"): return JSONObjectScanner.sameBytes(inner, "delta")
            default: return false
            }
        }

        /// Reads a string from its opening quote; returns the UTF-8 length of its decoded value. Checks escapes,
        /// control characters and UTF-8.
        mutating func string() throws(JSONScanError) -> Int {
            i += 1
            var length = 0
            while i < b.count {
                let c = b[i]
                if c == UInt8(ascii: "\"") {
                    i += 1
                    return length
                }
                if c == UInt8(ascii: "\\") {
                    guard i + 1 < b.count else { throw .truncated }
                    switch b[i + 1] {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                        UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        length += 1
                        i += 2
                    case UInt8(ascii: "u"):
                        i += 2
                        let unit = try JSONObjectScanner.hex4(b, &i)
                        if (0xD800..<0xDC00).contains(unit), i + 1 < b.count, b[i] == UInt8(ascii: "\\"),
                            b[i + 1] == UInt8(ascii: "u")
                        {
                            let save = i
                            i += 2
                            let low = try JSONObjectScanner.hex4(b, &i)
                            if (0xDC00..<0xE000).contains(low) {
                                length += 4
                            } else {
                                // A lone high surrogate becomes U+FFFD; the next escape is read on its own.
                                i = save
                                length += 3
                            }
                        } else if unit < 0x80 {
                            length += 1
                        } else if unit < 0x800 {
                            length += 2
                        } else {
                            length += 3
                        }
                    default:
                        throw .malformed(offset: i)
                    }
                    continue
                }
                if c < 0x20 { throw .malformed(offset: i) }
                if c < 0x80 {
                    length += 1
                    i += 1
                    continue
                }
                let n = try utf8Sequence()
                length += n
            }
            throw .truncated
        }

        /// Checks one multi-byte UTF-8 sequence at `i` and steps over it; returns its length.
        mutating func utf8Sequence() throws(JSONScanError) -> Int {
            let c = b[i]
            let n: Int
            var lowest: UInt8 = 0x80
            var highest: UInt8 = 0xBF
            switch c {
            case 0xC2...0xDF: n = 2
            case 0xE0:
                n = 3
                lowest = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: n = 3
            case 0xED:
                n = 3
                highest = 0x9F
            case 0xF0:
                n = 4
                lowest = 0x90
            case 0xF1...0xF3: n = 4
            case 0xF4:
                n = 4
                highest = 0x8F
            default: throw .invalidUTF8
            }
            guard i + n <= b.count else { throw .truncated }
            guard (lowest...highest).contains(b[i + 1]) else { throw .invalidUTF8 }
            for k in 2..<n where !(0x80...0xBF).contains(b[i + k]) { throw .invalidUTF8 }
            i += n
            return n
        }

        mutating func literal(_ word: StaticString) throws(JSONScanError) {
            let n = word.utf8CodeUnitCount
            guard i + n <= b.count else { throw .truncated }
            let same = word.withUTF8Buffer { w in
                for k in 0..<n where b[i + k] != w[k] { return false }
                return true
            }
            guard same else { throw .malformed(offset: i) }
            i += n
        }

        /// A number in JSON's grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
        mutating func number() throws(JSONScanError) {
            let start = i
            func digit(_ j: Int) -> Bool { j < b.count && b[j] &- UInt8(ascii: "0") < 10 }
            if i < b.count, b[i] == UInt8(ascii: "-") { i += 1 }
            guard digit(i) else { throw .malformed(offset: start) }
            if b[i] == UInt8(ascii: "0") {
                i += 1
            } else {
                while digit(i) { i += 1 }
            }
            if i < b.count, b[i] == UInt8(ascii: ".") {
                i += 1
                guard digit(i) else { throw .malformed(offset: i) }
                while digit(i) { i += 1 }
            }
            if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
                i += 1
                if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
                guard digit(i) else { throw .malformed(offset: i) }
                while digit(i) { i += 1 }
            }
        }
    }
}
