import NIOCore
import Testing

@testable import WharfServer

/// The relay's own reader of the common API call's head: what it takes, and everything it leaves to NIO's decoder.
@Suite("Relay fast request heads")
struct RelayFastRequestTests {
    static func read(_ text: String) -> RelayFastRequest.Verdict {
        RelayFastRequest.read(ByteBuffer(string: text).readableBytesView)
    }

    static let typical =
        "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sk-abc\r\n"
        + "Content-Type: application/json\r\nContent-Length: 42\r\n\r\n{\"model\":"

    @Test("A typical API call is read: its target, length, credential and where its body starts")
    func typical() {
        let head = Self.typical.utf8.count - "{\"model\":".utf8.count
        #expect(
            Self.read(Self.typical)
                == .fast(
                    RelayFastRequest(
                        uri: "/v1/chat/completions", endpoint: .chat, contentLength: 42, authorization: "Bearer sk-abc",
                        close: false),
                    headLength: head))
    }

    @Test("Field names in any case, spaces around values, the other key header, a forwarded address and a close")
    func variants() {
        let text =
            "POST /v1/embeddings?x=1 HTTP/1.1\r\nx-API-key:  sk-k \r\nX-Forwarded-For: 10.0.0.1\r\n"
            + "CONTENT-LENGTH:0\r\nConnection: keep-alive, Close\r\n\r\n"
        #expect(
            Self.read(text)
                == .fast(
                    RelayFastRequest(
                        uri: "/v1/embeddings?x=1", endpoint: .embeddings, contentLength: 0, apiKey: "sk-k",
                        forwardedFor: "10.0.0.1", close: true),
                    headLength: text.utf8.count))
    }

    @Test(
        "A head still arriving waits for more",
        arguments: ["", "P", "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"])
    func partial(text: String) {
        #expect(Self.read(text) == .needMore)
    }

    @Test(
        "Anything but the common shape goes to NIO's decoder",
        arguments: [
            "GET /v1/models HTTP/1.1\r\n\r\n",
            "POST /v1/models HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
            "POST /console/sign-in HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
            "POST /v1/chat/completions HTTP/1.0\r\nContent-Length: 0\r\n\r\n",
            "POST /v1/chat/completions  HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
            "POST http://x/v1/chat/completions HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
            "POST /v1/chat/completions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
            "POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
            "POST /v1/chat/completions HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n",
            "POST /v1/chat/completions HTTP/1.1\r\nUpgrade: h2c\r\nContent-Length: 2\r\n\r\n",
            "POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n",
            "POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 2, 2\r\n\r\n",
            "POST /v1/chat/completions HTTP/1.1\r\nContent-Length: +2\r\n\r\n",
            "POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 1234567890123456789\r\n\r\n",
            "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n\r\n",
            "POST /v1/chat/completions HTTP/1.1\r\nAuthorization: a\r\nauthorization: b\r\nContent-Length: 0\r\n\r\n",
            "POST /v1/chat/completions HTTP/1.1\r\nContent-Length : 0\r\n\r\n",
            "POST /v1/chat/completions HTTP/1.1\r\nX: a\r\n folded\r\nContent-Length: 0\r\n\r\n",
            "POST /v1/chat/completions HTTP/1.1\r\nX: a\u{0}b\r\nContent-Length: 0\r\n\r\n",
            "POST /v1/chat/completions HTTP/1.1\r\nX: a\rb\r\nContent-Length: 0\r\n\r\n",
            "POST /v1/chat/completions HTTP/1.1\nContent-Length: 0\r\n\r\n",
            "POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 0\nX: y\r\n\r\n",
        ])
    func notFast(text: String) {
        #expect(Self.read(text) == .notFast)
    }

    @Test("A head over 8 KiB goes to NIO's decoder, complete or not")
    func tooLong() {
        let long = "POST /v1/chat/completions HTTP/1.1\r\nX: " + String(repeating: "a", count: 9_000)
        #expect(Self.read(long) == .notFast)
        #expect(Self.read(long + "\r\nContent-Length: 0\r\n\r\n") == .notFast)
    }
}
