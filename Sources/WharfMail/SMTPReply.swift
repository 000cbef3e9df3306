/// One complete server reply: a three-digit code and the text of each of its lines.
struct SMTPReply: Sendable, Hashable {
    /// The reply code, e.g. 250.
    var code: Int
    /// The text after `250-` / `250 ` on each line, in order (at least one, possibly empty).
    var lines: [String]

    /// 2xx.
    var isPositiveCompletion: Bool { (200..<300).contains(code) }
    /// 3xx (e.g. 334 AUTH challenge, 354 start mail input).
    var isPositiveIntermediate: Bool { (300..<400).contains(code) }

    /// The RFC 3463 enhanced status code at the start of the first line (e.g. `5.7.8`), if present.
    var enhancedStatus: String? {
        guard let first = lines.first?.split(separator: " ", maxSplits: 1).first else { return nil }
        let parts = first.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let klass = parts.first, ["2", "4", "5"].contains(klass),
            parts.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) })
        else { return nil }
        return String(first)
    }
}
