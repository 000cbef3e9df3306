import NIOCore

/// What the relay needs from an upstream response's head: its status and its content type. Other header fields are
/// checked for framing and then dropped without being copied.
public struct UpstreamResponseHead: Sendable, Equatable {
    /// The status code (never 1xx: interim responses are skipped).
    public var status: Int
    /// The `Content-Type` value, if any.
    public var contentType: String?

    /// A head.
    public init(status: Int, contentType: String?) {
        self.status = status
        self.contentType = contentType
    }
}

/// Parses HTTP/1.1 responses to requests sent on one connection, one at a time (RFC 9112, client side), from bytes
/// as they arrive. Pure: no I/O, no allocation beyond the content type, body pieces are slices of the input.
///
/// Framing: 204 and 304 have no body; `Transfer-Encoding: chunked` (which then outranks any `Content-Length`, and
/// makes the response the connection's last if both are present); else `Content-Length`; else the body runs until the connection closes. Interim 1xx responses
/// are skipped. Refused as malformed: a bad status line, a field line without a colon or with a name that is not a
/// token, obsolete line folding, control characters in a value, a `Content-Length` that is not one decimal number,
/// other transfer codings, a head over 64 KiB, a bad chunk size, and bytes when no response is expected.
struct UpstreamResponseParser {
    /// Something the response said.
    enum Event {
        case head(UpstreamResponseHead)
        case body(ByteBuffer)
        /// The response is complete; bytes after it are left in the input.
        case end
    }

    /// Why the bytes are not a response this parser accepts.
    struct Malformed: Error, Equatable {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }

    static let maxHeadBytes = 64 * 1024
    static let maxChunkLineBytes = 4 * 1024

    private enum State {
        /// No request is outstanding.
        case idle
        case statusLine
        case fields
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        /// The response is complete; `.end` is reported next.
        case ending
        case bodyUntilClose
    }

    private var state = State.idle
    /// The start of a line split across reads; later reads are appended to it.
    private var carry = ByteBuffer()
    /// How many bytes at the start of the input are known to hold no line end (they were searched before).
    private var searched = 0
    /// Bytes of trailer fields read so far.
    private var trailerBytes = 0
    private var head = HeadFields()

    /// What the head's fields said, as far as framing and the relay care.
    private struct HeadFields {
        var status = 0
        var minorVersion = 1
        var bytes = 0
        var contentType: String?
        var contentLength: Int?
        var transferEncoding = false
        var chunked = false
        var connectionClose = false
        var connectionKeepAlive = false
    }

    /// Whether the connection may carry another request after the current response (HTTP/1.1 without
    /// `Connection: close`, a body not delimited by the close, no `Transfer-Encoding` beside `Content-Length`).
    private(set) var keepAlive = true

    /// A request was sent: its response is expected next.
    mutating func expectResponse() {
        state = .statusLine
        head = HeadFields()
        keepAlive = true
        carry = ByteBuffer()
        searched = 0
        trailerBytes = 0
    }

    /// Whether the connection closing now ends the response (a body delimited by the close).
    var endsAtClose: Bool {
        if case .bodyUntilClose = state { return true }
        return false
    }

    /// Whether a response is expected or being read.
    var isReading: Bool {
        if case .idle = state { return false }
        return true
    }

    /// The next thing the response says from `input`, consuming what it is made of; nil when more bytes are needed
    /// (a partial line is kept for the next call). After `.end`, further bytes are left in `input`. Pull-style, so
    /// that whoever acts on an event (and may close the connection) does so between calls, not inside one.
    mutating func next(_ input: inout ByteBuffer) throws(Malformed) -> Event? {
        if carry.readableBytes > 0 {
            carry.writeBuffer(&input)
            input = carry
            carry = ByteBuffer()
        }
        while true {
            switch state {
            case .idle:
                guard input.readableBytes == 0 else { throw Malformed("bytes while no response is expected") }
                return nil
            case .statusLine:
                guard let line = try nextLine(&input, limit: Self.maxHeadBytes - head.bytes, "head over 64 KiB") else {
                    return nil
                }
                head.bytes += line.readableBytes + 2
                guard head.bytes <= Self.maxHeadBytes else { throw Malformed("head over 64 KiB") }
                // An empty line before the status line is tolerated (RFC 9112, section 2.2).
                if line.readableBytes == 0 && head.bytes == 2 { continue }
                try parseStatusLine(line)
                state = .fields
            case .fields:
                guard let line = try nextLine(&input, limit: Self.maxHeadBytes - head.bytes, "head over 64 KiB") else {
                    return nil
                }
                head.bytes += line.readableBytes + 2
                guard head.bytes <= Self.maxHeadBytes else { throw Malformed("head over 64 KiB") }
                if line.readableBytes > 0 {
                    try parseField(line)
                    continue
                }
                if head.status < 200 {
                    // An interim response (100 Continue, 103 Early Hints): the real one follows.
                    guard head.status != 101 else { throw Malformed("protocol switch without a request for it") }
                    head = HeadFields()
                    state = .statusLine
                    continue
                }
                return try headEnded()
            case .fixedBody(let remaining):
                guard let (piece, left) = Self.bodyPiece(&input, remaining) else { return nil }
                state = left > 0 ? .fixedBody(remaining: left) : .ending
                return .body(piece)
            case .chunkSize:
                guard let line = try nextLine(&input, limit: Self.maxChunkLineBytes, "chunk line too long") else {
                    return nil
                }
                let size = try Self.chunkSize(line)
                state = size == 0 ? .trailers : .chunkData(remaining: size)
            case .chunkData(let remaining):
                guard let (piece, left) = Self.bodyPiece(&input, remaining) else { return nil }
                state = left > 0 ? .chunkData(remaining: left) : .chunkDataEnd
                return .body(piece)
            case .chunkDataEnd:
                guard let line = try nextLine(&input, limit: Self.maxChunkLineBytes, "chunk line too long") else {
                    return nil
                }
                guard line.readableBytes == 0 else { throw Malformed("chunk data longer than its size") }
                state = .chunkSize
            case .trailers:
                // Trailer fields are read and dropped; together they are held to the limit of a head.
                guard let line = try nextLine(&input, limit: Self.maxHeadBytes - trailerBytes, "trailers too long")
                else { return nil }
                trailerBytes += line.readableBytes + 2
                guard trailerBytes <= Self.maxHeadBytes else { throw Malformed("trailers too long") }
                if line.readableBytes == 0 { state = .ending }
            case .ending:
                state = .idle
                return .end
            case .bodyUntilClose:
                guard input.readableBytes > 0, let piece = input.readSlice(length: input.readableBytes) else {
                    return nil
                }
                return .body(piece)
            }
        }
    }

    /// Up to `remaining` bytes of body taken from `input` (a slice, not a copy), and how many are still to come;
    /// nil when `input` is empty.
    private static func bodyPiece(_ input: inout ByteBuffer, _ remaining: Int) -> (piece: ByteBuffer, left: Int)? {
        let n = min(remaining, input.readableBytes)
        guard n > 0, let piece = input.readSlice(length: n) else { return nil }
        return (piece, remaining - n)
    }

    /// The head is complete: its framing is checked, then it is reported.
    private mutating func headEnded() throws(Malformed) -> Event {
        if head.connectionClose || (head.minorVersion == 0 && !head.connectionKeepAlive) { keepAlive = false }
        if head.status == 204 || head.status == 304 {
            state = .ending
        } else if head.transferEncoding {
            guard head.chunked else { throw Malformed("a transfer coding other than chunked") }
            // Chunking beside a length, or in an HTTP/1.0 answer, is framing the connection cannot be trusted after.
            if head.contentLength != nil || head.minorVersion == 0 { keepAlive = false }
            state = .chunkSize
        } else if let length = head.contentLength {
            state = length > 0 ? .fixedBody(remaining: length) : .ending
        } else {
            keepAlive = false
            state = .bodyUntilClose
        }
        return .head(UpstreamResponseHead(status: head.status, contentType: head.contentType))
    }

    /// The next line (CRLF or a bare LF), without its terminator; nil when the input holds no whole line. The part
    /// held is kept in `carry`, which later reads are appended to (in place, once the read buffer it came in is let
    /// go), and only bytes not searched before are searched again: a line trickling in byte by byte costs linear
    /// time.
    private mutating func nextLine(_ input: inout ByteBuffer, limit: Int, _ tooLong: String) throws(Malformed)
        -> ByteBuffer?
    {
        let from = min(searched, input.readableBytes)
        let found = input.withUnsafeReadableBytes { bytes in
            bytes[from...].firstIndex(of: UInt8(ascii: "\n"))
        }
        guard let newline = found else {
            guard input.readableBytes <= limit else { throw Malformed(tooLong) }
            searched = input.readableBytes
            carry = input
            input.moveReaderIndex(to: input.writerIndex)
            return nil
        }
        searched = 0
        guard newline <= limit else { throw Malformed(tooLong) }
        guard var line = input.readSlice(length: newline) else { return nil }
        input.moveReaderIndex(forwardBy: 1)
        if line.readableBytesView.last == UInt8(ascii: "\r") { line.moveWriterIndex(to: line.writerIndex - 1) }
        return line
    }

    /// `HTTP/1.x SP 3DIGIT [SP reason]`.
    private mutating func parseStatusLine(_ line: ByteBuffer) throws(Malformed) {
        let bytes = line.readableBytesView
        guard bytes.count >= 12, bytes.starts(with: "HTTP/1.".utf8) else { throw Malformed("bad status line") }
        let start = bytes.startIndex
        let minor = bytes[start + 7]
        guard minor == UInt8(ascii: "0") || minor == UInt8(ascii: "1"), bytes[start + 8] == UInt8(ascii: " ") else {
            throw Malformed("bad status line")
        }
        var status = 0
        for i in 9..<12 {
            let digit = bytes[start + i] &- UInt8(ascii: "0")
            guard digit < 10 else { throw Malformed("bad status code") }
            status = status * 10 + Int(digit)
        }
        guard status >= 100, bytes.count == 12 || bytes[start + 12] == UInt8(ascii: " ") else {
            throw Malformed("bad status code")
        }
        head.status = status
        head.minorVersion = minor == UInt8(ascii: "0") ? 0 : 1
    }

    /// `name ":" OWS value OWS`; only the fields that frame the body, and the content type, are kept.
    private mutating func parseField(_ line: ByteBuffer) throws(Malformed) {
        var failure: Malformed?
        let parse = { (bytes: UnsafeBufferPointer<UInt8>) in
            do throws(Malformed) { try self.parseFieldBytes(bytes) } catch { failure = error }
        }
        if line.readableBytesView.withContiguousStorageIfAvailable(parse) == nil {
            Array(line.readableBytesView).withUnsafeBufferPointer(parse)
        }
        if let failure { throw failure }
    }

    private mutating func parseFieldBytes(_ line: UnsafeBufferPointer<UInt8>) throws(Malformed) {
        let name: UnsafeBufferPointer<UInt8>
        let value: UnsafeBufferPointer<UInt8>
        do {
            let (n, v) = try HTTPFieldSyntax.splitOffsets(line)
            name = UnsafeBufferPointer(rebasing: line[n])
            value = UnsafeBufferPointer(rebasing: line[v])
        } catch {
            switch error {
            case .noColon: throw Malformed("field line without a colon")
            case .obsoleteFolding: throw Malformed("obsolete line folding")
            case .badName: throw Malformed("bad field name")
            case .controlCharacter: throw Malformed("control character in a field value")
            }
        }
        if HTTPFieldSyntax.equalsLowercased(name, "content-length") {
            try noteContentLength(value)
        } else if HTTPFieldSyntax.equalsLowercased(name, "transfer-encoding") {
            head.transferEncoding = true
            // No content coding was asked for: `chunked`, once, is the only coding accepted.
            try HTTPFieldSyntax.forEachListItem(value) { coding throws(Malformed) in
                guard HTTPFieldSyntax.equalsLowercased(coding, "chunked") else {
                    throw Malformed("a transfer coding other than chunked")
                }
                guard !head.chunked else { throw Malformed("chunked twice") }
                head.chunked = true
            }
        } else if HTTPFieldSyntax.equalsLowercased(name, "connection") {
            try HTTPFieldSyntax.forEachListItem(value) { option throws(Malformed) in
                if HTTPFieldSyntax.equalsLowercased(option, "close") { head.connectionClose = true }
                if HTTPFieldSyntax.equalsLowercased(option, "keep-alive") { head.connectionKeepAlive = true }
            }
        } else if HTTPFieldSyntax.equalsLowercased(name, "content-type"), head.contentType == nil {
            head.contentType = String(decoding: value, as: UTF8.self)
        }
    }

    /// One length, possibly repeated (`42, 42` or several fields): any disagreement is an error.
    private mutating func noteContentLength(_ value: UnsafeBufferPointer<UInt8>) throws(Malformed) {
        var any = false
        try HTTPFieldSyntax.forEachListItem(value) { item throws(Malformed) in
            guard item.count <= 18, item.allSatisfy({ $0 &- UInt8(ascii: "0") < 10 }) else {
                throw Malformed("bad content length")
            }
            let length = item.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            if let known = head.contentLength, known != length { throw Malformed("conflicting content lengths") }
            head.contentLength = length
            any = true
        }
        guard any else { throw Malformed("bad content length") }
    }

    /// `1*HEXDIG [BWS ";" extensions]`.
    private static func chunkSize(_ line: ByteBuffer) throws(Malformed) -> Int {
        var size = 0
        var digits = 0
        for byte in line.readableBytesView {
            let value: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = byte - UInt8(ascii: "A") + 10
            case UInt8(ascii: ";"), UInt8(ascii: " "), UInt8(ascii: "\t"):
                guard digits > 0 else { throw Malformed("bad chunk size") }
                return size
            default:
                throw Malformed("bad chunk size")
            }
            digits += 1
            guard digits <= 15 else { throw Malformed("chunk size too large") }
            size = size << 4 | Int(value)
        }
        guard digits > 0 else { throw Malformed("bad chunk size") }
        return size
    }
}
