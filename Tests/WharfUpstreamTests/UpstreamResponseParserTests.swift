import NIOCore
import Testing

@testable import WharfUpstream

/// The relay's reader of upstream responses, fed bytes whole and split at every position.
@Suite("Upstream response parser")
struct UpstreamResponseParserTests {
    /// What a parser made of some bytes.
    struct Outcome: Equatable {
        var heads: [UpstreamResponseHead] = []
        var body = ""
        var ended = false
        var keepAlive = true
        var leftover = ""
        var failure: String?
    }

    /// Feeds `wire` in pieces cut at `cuts`, as reads from a socket would deliver it.
    static func parse(_ wire: String, cuts: [Int] = [], closeAtEnd: Bool = false) -> Outcome {
        var parser = UpstreamResponseParser()
        parser.expectResponse()
        var outcome = Outcome()
        let bytes = Array(wire.utf8)
        var start = 0
        pieces: for end in cuts + [bytes.count] where end >= start {
            var piece = ByteBuffer(bytes: bytes[start..<end])
            start = end
            do {
                while let event = try parser.next(&piece) {
                    switch event {
                    case .head(let head): outcome.heads.append(head)
                    case .body(let body): outcome.body += String(buffer: body)
                    case .end:
                        outcome.ended = true
                        outcome.leftover = String(buffer: piece) + String(decoding: bytes[end...], as: UTF8.self)
                        break pieces
                    }
                }
            } catch {
                outcome.failure = error.reason
                return outcome
            }
        }
        if closeAtEnd && parser.endsAtClose { outcome.ended = true }
        outcome.keepAlive = parser.keepAlive
        return outcome
    }

    /// The same bytes give the same outcome however they are split in two or three pieces.
    static func expectSameAtEverySplit(_ wire: String, closeAtEnd: Bool = false) {
        let whole = parse(wire, closeAtEnd: closeAtEnd)
        let n = wire.utf8.count
        for i in 0...n {
            #expect(parse(wire, cuts: [i], closeAtEnd: closeAtEnd) == whole, "split at \(i)")
            let j = min(n, i + 3)
            #expect(parse(wire, cuts: [i, j], closeAtEnd: closeAtEnd) == whole, "split at \(i), \(j)")
        }
    }

    static let json = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}"

    @Test("A response with a length: its status, content type and exact body, and the connection stays usable")
    func contentLength() {
        let outcome = Self.parse(Self.json)
        #expect(outcome.heads == [UpstreamResponseHead(status: 200, contentType: "application/json")])
        #expect(outcome.body == #"{"ok":true}"#)
        #expect(outcome.ended && outcome.keepAlive && outcome.leftover.isEmpty)
        Self.expectSameAtEverySplit(Self.json)
    }

    @Test("A chunked stream with extensions and trailers comes out as its data, in order")
    func chunked() {
        let wire =
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "6\r\ndata: \r\n9;name=value\r\n{\"a\":1}\n\n\r\n" + "0\r\nX-Trailer: t\r\n\r\n"
        let outcome = Self.parse(wire)
        #expect(outcome.heads == [UpstreamResponseHead(status: 200, contentType: "text/event-stream")])
        #expect(outcome.body == "data: {\"a\":1}\n\n")
        #expect(outcome.ended && outcome.keepAlive)
        Self.expectSameAtEverySplit(wire)
    }

    @Test("Bare LF line ends, repeated equal lengths and field names in any case are accepted")
    func tolerated() {
        let wire = "HTTP/1.1 200 OK\nCONTENT-LENGTH: 2, 2\ncontent-length: 2\nX-Other:\n\nhi"
        let outcome = Self.parse(wire)
        #expect(outcome.body == "hi" && outcome.ended && outcome.failure == nil)
        #expect(outcome.heads.first?.contentType == nil)
    }

    @Test("Interim responses are skipped; the final one is reported")
    func interim() {
        let wire = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + Self.json
        let outcome = Self.parse(wire)
        #expect(outcome.heads.map(\.status) == [200])
        #expect(outcome.body == #"{"ok":true}"#)
        Self.expectSameAtEverySplit(wire)
    }

    @Test(
        "204 and 304 have no body, whatever their fields say; 200 with length 0 ends at its head",
        arguments: [
            "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", "HTTP/1.1 304 Not Modified\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        ])
    func noBody(wire: String) {
        let outcome = Self.parse(wire + "HTTP/1.1 200 OK")
        #expect(outcome.ended && outcome.body.isEmpty && outcome.keepAlive)
        #expect(outcome.leftover == "HTTP/1.1 200 OK")
        Self.expectSameAtEverySplit(wire + "HTTP/1.1 200 OK")
    }

    @Test("One empty line before the status line is tolerated")
    func emptyLineFirst() {
        let outcome = Self.parse("\r\n" + Self.json)
        #expect(outcome.ended && outcome.body == #"{"ok":true}"#)
        #expect(Self.parse("\r\n\r\n" + Self.json).failure == "bad status line")
    }

    @Test("A head whose framing is refused is not reported at all")
    func framingCheckedBeforeHead() {
        let outcome = Self.parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxx")
        #expect(outcome.failure == "a transfer coding other than chunked")
        #expect(outcome.heads.isEmpty)
    }

    @Test("A head trickling in one byte per read is read whole")
    func trickle() throws {
        let wire =
            "HTTP/1.1 200 OK\r\nX-Long: " + String(repeating: "v", count: 40_000) + "\r\n"
            + "Content-Length: 2\r\n\r\nhi"
        var parser = UpstreamResponseParser()
        parser.expectResponse()
        var heads = 0
        var body = ""
        var ended = false
        for byte in wire.utf8 {
            var piece = ByteBuffer(bytes: [byte])
            while let event = try parser.next(&piece) {
                switch event {
                case .head: heads += 1
                case .body(let b): body += String(buffer: b)
                case .end: ended = true
                }
            }
        }
        #expect(heads == 1 && body == "hi" && ended)
    }

    @Test("Without a length or chunking the body runs until the connection closes, which ends it")
    func untilClose() {
        let wire = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"partial\":"
        let open = Self.parse(wire)
        #expect(!open.ended && open.body == "{\"partial\":" && !open.keepAlive)
        #expect(Self.parse(wire, closeAtEnd: true).ended)
        Self.expectSameAtEverySplit(wire, closeAtEnd: true)
    }

    @Test(
        "A response that asks for the connection to close, or is HTTP/1.0, or chunks beside a length, is its last",
        arguments: [
            "HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 2\r\n\r\nhi",
            "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi",
            "HTTP/1.1 200 OK\r\nContent-Length: 9\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
            "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
        ])
    func lastOnConnection(wire: String) {
        let outcome = Self.parse(wire)
        #expect(outcome.ended && outcome.body == "hi" && !outcome.keepAlive)
    }

    @Test("An HTTP/1.0 response that asks to be kept alive is kept alive")
    func http10KeepAlive() {
        let outcome = Self.parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi")
        #expect(outcome.ended && outcome.keepAlive)
    }

    @Test("Bytes after the response stay in the input, for the connection to refuse")
    func leftover() {
        let outcome = Self.parse(Self.json + "HTTP/1.1 200 OK\r\n")
        #expect(outcome.ended && outcome.leftover == "HTTP/1.1 200 OK\r\n")
    }

    @Test(
        "Malformed responses are refused, never guessed at",
        arguments: [
            ("HTTP/2 200 OK\r\n\r\n", "bad status line"),
            ("HTTP/1.1 20 OK\r\n\r\n", "bad status code"),
            ("HTTP/1.1 2x0 OK\r\n\r\n", "bad status code"),
            ("HTTP/1.1 099 Low\r\n\r\n", "bad status code"),
            ("HTTP/1.1 2000 OK\r\n\r\n", "bad status code"),
            ("HTTP/1.1 101 Switching\r\nUpgrade: x\r\n\r\n", "protocol switch without a request for it"),
            ("HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n", "field line without a colon"),
            ("HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n", "obsolete line folding"),
            ("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", "bad field name"),
            ("HTTP/1.1 200 OK\r\n: x\r\n\r\n", "bad field name"),
            ("HTTP/1.1 200 OK\r\nX: a\u{0}b\r\n\r\n", "control character in a field value"),
            ("HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", "control character in a field value"),
            ("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "bad content length"),
            ("HTTP/1.1 200 OK\r\nContent-Length: 1e3\r\n\r\n", "bad content length"),
            ("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", "bad content length"),
            ("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", "bad content length"),
            ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n", "conflicting content lengths"),
            ("HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\n", "conflicting content lengths"),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "a transfer coding other than chunked"),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", "chunked twice"),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\n\r\n", "a transfer coding other than chunked"),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "bad chunk size"),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n;x\r\n", "bad chunk size"),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n", "chunk size too large"),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhiX\r\n", "chunk data longer than its size"),
        ])
    func malformed(wire: String, reason: String) {
        #expect(Self.parse(wire).failure == reason)
        for cut in 0...wire.utf8.count {
            #expect(Self.parse(wire, cuts: [cut]).failure == reason, "split at \(cut)")
        }
    }

    @Test("A head over 64 KiB or a long chunk line is refused, whether in one line or many, before it is all buffered")
    func headTooLarge() {
        let longLine = "HTTP/1.1 200 OK\r\nX: " + String(repeating: "a", count: 70_000)
        #expect(Self.parse(longLine).failure == "head over 64 KiB")
        let manyLines = "HTTP/1.1 200 OK\r\n" + String(repeating: "X-Field: value\r\n", count: 5_000)
        #expect(Self.parse(manyLines).failure == "head over 64 KiB")
        let chunkLine = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;" + String(repeating: "e", count: 5_000)
        #expect(Self.parse(chunkLine).failure == "chunk line too long")
        let trailers =
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"
            + String(repeating: "X-Trailer: value\r\n", count: 5_000)
        #expect(Self.parse(trailers).failure == "trailers too long")
    }

    @Test("Bytes when no response is expected are refused")
    func unsolicited() {
        var parser = UpstreamResponseParser()
        var bytes = ByteBuffer(string: "HTTP/1.1 200 OK\r\n\r\n")
        #expect(throws: UpstreamResponseParser.Malformed("bytes while no response is expected")) {
            try parser.next(&bytes)
        }
    }

    @Test("One parser reads response after response, each after its request")
    func sequence() throws {
        var parser = UpstreamResponseParser()
        for i in 0..<3 {
            parser.expectResponse()
            var bytes = ByteBuffer(string: "HTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\n\(i)")
            var body = ""
            var ended = false
            while let event = try parser.next(&bytes) {
                if case .body(let piece) = event { body += String(buffer: piece) }
                if case .end = event { ended = true }
            }
            #expect(ended && body == "\(i)" && !parser.isReading)
        }
    }
}
