/// Follows streamed JSON text far enough to tell when it holds one whole object or array (nesting depth back to 0
/// outside a string).
struct JSONCompletionScanner: Sendable {
    private var depth = 0
    private var inString = false
    private var escaped = false
    private var opened = false
    private var broken = false

    /// Whether the text so far is one whole object or array (possibly followed by whitespace).
    var isComplete: Bool { opened && depth == 0 && !inString && !broken }

    mutating func feed(_ text: String) {
        for c in text.utf8 {
            if inString {
                if escaped {
                    escaped = false
                } else if c == UInt8(ascii: "\\") {
                    escaped = true
                } else if c == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch c {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                if opened && depth == 0 { broken = true }
                opened = true
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth < 0 { broken = true }
            default: break
            }
        }
    }
}
