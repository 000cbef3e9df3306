/// What the stream meter needs from one SSE `data:` payload, found in a single pass over its bytes (it runs for every
/// event of every stream): the bytes of text in its text-bearing string members, whether it holds a `usage` member
/// (and whether that is an object: chat completion chunks carry `"usage":null` until the last), and whether it is a
/// Responses-API event.
///
/// Members are recognised by their key with its quotes and colon (`"content":"`). Inside a JSON string a quote is
/// always escaped, so such a key never matches inside a value.
struct SSEPayloadFacts: Equatable {
    /// Bytes of the string values of `content`, `reasoning_content`, `arguments`, `text` and `delta` (as sent, so an
    /// escape counts two).
    var textBytes = 0
    /// Whether a `"usage"` key appears.
    var hasUsage = false
    /// Whether a `"usage"` key with an object value appears.
    var hasUsageObject = false
    /// Whether `"type":"response.` appears (a Responses-API event).
    var isResponsesEvent = false
    /// Whether a string ends in `.delta` (a Responses-API delta event's type).
    var endsAStringInDelta = false

    private static let usageKey: StaticString = "\"usage\""
    private static let responsesType: StaticString = "\"type\":\"response."
    private static let deltaSuffix: StaticString = ".delta\""
    private static let textKeys: [StaticString] = [
        "\"content\":\"", "\"reasoning_content\":\"", "\"arguments\":\"", "\"text\":\"", "\"delta\":\"",
    ]

    /// Facts stated outright.
    init(
        textBytes: Int = 0, hasUsage: Bool = false, hasUsageObject: Bool = false, isResponsesEvent: Bool = false,
        endsAStringInDelta: Bool = false
    ) {
        self.textBytes = textBytes
        self.hasUsage = hasUsage
        self.hasUsageObject = hasUsageObject
        self.isResponsesEvent = isResponsesEvent
        self.endsAStringInDelta = endsAStringInDelta
    }

    /// Reads `b`.
    init(_ b: UnsafeBufferPointer<UInt8>) {
        let quote = UInt8(ascii: "\"")
        let n = b.count
        var i = 0
        while i < n {
            guard b[i] == quote else {
                i += 1
                continue
            }
            if let keyLength = Self.textKey(at: i, in: b) {
                var j = i + keyLength
                let start = j
                while j < n, b[j] != quote { j += b[j] == UInt8(ascii: "\\") ? 2 : 1 }
                textBytes += min(j, n) - start
                i = j + 1
                continue
            }
            if !hasUsageObject && Self.matches(Self.usageKey, at: i, in: b) {
                hasUsage = true
                hasUsageObject = Self.objectFollows(at: i + Self.usageKey.utf8CodeUnitCount, in: b)
            }
            if !isResponsesEvent && Self.matches(Self.responsesType, at: i, in: b) { isResponsesEvent = true }
            if !endsAStringInDelta && i >= 6 && Self.matches(Self.deltaSuffix, at: i - 6, in: b) {
                endsAStringInDelta = true
            }
            i += 1
        }
    }

    /// The length of the text key starting at `i`, if one does.
    private static func textKey(at i: Int, in b: UnsafeBufferPointer<UInt8>) -> Int? {
        guard i + 1 < b.count else { return nil }
        // The text keys differ in their first letter: only one can start here.
        switch b[i + 1] {
        case UInt8(ascii: "c"): return matches(textKeys[0], at: i, in: b) ? textKeys[0].utf8CodeUnitCount : nil
        case UInt8(ascii: "r"): return matches(textKeys[1], at: i, in: b) ? textKeys[1].utf8CodeUnitCount : nil
        case UInt8(ascii: "a"): return matches(textKeys[2], at: i, in: b) ? textKeys[2].utf8CodeUnitCount : nil
        case UInt8(ascii: "t"): return matches(textKeys[3], at: i, in: b) ? textKeys[3].utf8CodeUnitCount : nil
        case UInt8(ascii: "d"): return matches(textKeys[4], at: i, in: b) ? textKeys[4].utf8CodeUnitCount : nil
        default: return nil
        }
    }

    /// Whether `: {` (with any whitespace) starts at `i`.
    private static func objectFollows(at i: Int, in b: UnsafeBufferPointer<UInt8>) -> Bool {
        var j = i
        var colon = false
        while j < b.count {
            switch b[j] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): j += 1
            case UInt8(ascii: ":") where !colon:
                colon = true
                j += 1
            case UInt8(ascii: "{"): return colon
            default: return false
            }
        }
        return false
    }

    /// Whether `needle` is at `i` in `b`.
    static func matches(_ needle: StaticString, at i: Int, in b: UnsafeBufferPointer<UInt8>) -> Bool {
        needle.withUTF8Buffer { k in
            guard i + k.count <= b.count else { return false }
            for x in 0..<k.count where b[i + x] != k[x] { return false }
            return true
        }
    }
}
