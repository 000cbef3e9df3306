import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import WharfServer

/// The fast path in a pipeline of its own: which requests it reads itself, and exactly which bytes it hands to the
/// decoder behind it when it hands over.
@Suite("Relay fast path")
struct RelayFastPathTests {
    /// Stands in for the front handler: records what the fast path delivers.
    final class Sink: RelayRequestSink {
        var parts: [String] = []
        var isClosing = false
        func bytesArrived() {}
        func deliver(_ part: RelayRequestPart) {
            switch part {
            case .relayHead(let head):
                parts.append("head /v1/\(head.endpoint.rawValue) \(head.contentLength.map(String.init) ?? "-")")
            case .decoded(.head(let head)): parts.append("decoded head \(head.uri)")
            case .decoded(.body(let body)): parts.append("body \(String(buffer: body))")
            case .decoded(.end): parts.append("end")
            }
        }
    }

    /// Stands in for NIO's decoder: collects the bytes handed over.
    final class Decoder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        var bytes = ""
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            bytes += String(buffer: unwrapInboundIn(data))
        }
    }

    static func post(_ body: String, path: String = "/v1/chat/completions") -> String {
        "POST \(path) HTTP/1.1\r\nAuthorization: Bearer sk-x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    /// Feeds `pieces` as separate reads and returns what the sink got and what the decoder got.
    static func run(_ pieces: [String], closingAfter: Int? = nil) throws -> (parts: [String], handedOver: String) {
        let sink = Sink()
        let decoder = Decoder()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(RelayFastPath(sink: sink))
        try channel.pipeline.syncOperations.addHandler(decoder)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        for piece in pieces {
            if let closingAfter, sink.parts.count >= closingAfter { sink.isClosing = true }
            try channel.writeInbound(ByteBuffer(string: piece))
        }
        _ = try channel.finish()
        return (sink.parts, decoder.bytes)
    }

    @Test("Fast calls are delivered whole, even a body that looks like a request, and nothing reaches the decoder")
    func fastCalls() throws {
        let tricky = Self.post("GET / HTTP/1.1\r\n\r\n")
        let outcome = try Self.run([Self.post("{}") + tricky])
        #expect(
            outcome.parts == [
                "head /v1/chat/completions 2", "body {}", "end", "head /v1/chat/completions 18",
                "body GET / HTTP/1.1\r\n\r\n", "end",
            ])
        #expect(outcome.handedOver.isEmpty)
    }

    @Test("The hand-over starts at the first byte of the first other request, in the same read as a body's tail")
    func handOverBoundary() throws {
        let page = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        let later = Self.post("{}")
        let first = Self.post("{\"a\":1}")
        let cut = first.utf8.count - 3
        let wire = Array((first + page + later).utf8)
        let outcome = try Self.run([
            String(decoding: wire[..<cut], as: UTF8.self), String(decoding: wire[cut...], as: UTF8.self),
        ])
        #expect(outcome.parts == ["head /v1/chat/completions 7", "body {\"a\"", "body :1}", "end"])
        // Everything from the page on goes to the decoder, the fast-looking call after it included.
        #expect(outcome.handedOver == page + later)
    }

    @Test("A head arriving a byte at a time is read once it is whole")
    func byteByByte() throws {
        let outcome = try Self.run(Self.post("{}").utf8.map { String(decoding: [$0], as: UTF8.self) })
        #expect(outcome.parts == ["head /v1/chat/completions 2", "body {", "body }", "end"])
    }

    @Test("Once the front handler closes, nothing more is delivered or handed over")
    func nothingAfterClosing() throws {
        let outcome = try Self.run([Self.post("{}"), Self.post("{}"), "GET / HTTP/1.1\r\n\r\n"], closingAfter: 3)
        #expect(outcome.parts == ["head /v1/chat/completions 2", "body {}", "end"])
        #expect(outcome.handedOver.isEmpty)
    }
}
