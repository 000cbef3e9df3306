/// Incremental parser of SMTP replies (RFC 5321 §4.2): feed it bytes as they arrive, take complete replies out.
///
/// A reply is one or more lines `250-text` followed by a final `250 text` (or a bare `250`). Lines end in CRLF;
/// a bare LF is tolerated. Limits protect against a hostile server: a line may be at most 4096 bytes and a reply
/// at most 256 lines.
struct SMTPReplyParser: Sendable {
    /// Why the bytes are not a valid reply.
    enum ParseError: Error, Sendable, Hashable {
        /// A line does not start with three digits followed by `-`, space or the line end.
        case malformedLine
        /// The lines of one reply carry different codes.
        case inconsistentCode
        /// A line or a reply is over the limit.
        case tooLong
    }

    static let maxLineLength = 4096
    static let maxLines = 256

    private var buffer: [UInt8] = []
    private var pendingLines: [String] = []
    private var pendingCode: Int?

    /// True when no byte of an unfinished line or reply is held (used to detect data injected after `STARTTLS`).
    var isEmpty: Bool { buffer.isEmpty && pendingLines.isEmpty }

    /// Adds received bytes.
    mutating func feed(_ bytes: some Sequence<UInt8>) {
        buffer.append(contentsOf: bytes)
    }

    /// The next complete reply, or `nil` when more bytes are needed.
    mutating func nextReply() throws(ParseError) -> SMTPReply? {
        while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
            var line = Array(buffer[..<newline])
            buffer.removeFirst(newline + 1)
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            guard line.count <= Self.maxLineLength else { throw .tooLong }
            let (code, isLast, text) = try Self.parse(line: line)
            if let pendingCode, pendingCode != code { throw .inconsistentCode }
            pendingCode = code
            pendingLines.append(text)
            guard pendingLines.count <= Self.maxLines else { throw .tooLong }
            if isLast {
                let reply = SMTPReply(code: code, lines: pendingLines)
                pendingLines = []
                pendingCode = nil
                return reply
            }
        }
        guard buffer.count <= Self.maxLineLength + 2 else { throw .tooLong }
        return nil
    }

    private static func parse(line: [UInt8]) throws(ParseError) -> (code: Int, isLast: Bool, text: String) {
        guard line.count >= 3, line[0..<3].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            throw .malformedLine
        }
        let code = line[0..<3].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        guard (200...599).contains(code) else { throw .malformedLine }
        if line.count == 3 { return (code, true, "") }
        let separator = line[3]
        guard separator == UInt8(ascii: "-") || separator == UInt8(ascii: " ") else { throw .malformedLine }
        let text = String(decoding: line[4...], as: UTF8.self)
        return (code, separator == UInt8(ascii: " "), text)
    }
}
