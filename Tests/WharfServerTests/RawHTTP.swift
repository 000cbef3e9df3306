import Foundation
import NIOCore
import NIOPosix

/// Writes raw bytes to a server on loopback and reads everything it sends until it closes the connection.
enum RawHTTP {
    final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        var received = ByteBuffer()
        let done: EventLoopPromise<String>
        /// When it says the bytes so far are enough, the client hangs up.
        let enough: (@Sendable (String) -> Bool)?
        init(done: EventLoopPromise<String>, enough: (@Sendable (String) -> Bool)?) {
            self.done = done
            self.enough = enough
        }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            received.writeBuffer(&buffer)
            if let enough, enough(String(buffer: received)) { context.close(promise: nil) }
        }
        func channelInactive(context: ChannelHandlerContext) { done.succeed(String(buffer: received)) }
        func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
    }

    /// A framed `POST /v1/chat/completions` of `body` with the bearer `key` and any extra header lines.
    static func chatPost(_ body: String, key: String, version: String = "HTTP/1.1", headers: [String] = []) -> String {
        let extra = headers.map { $0 + "\r\n" }.joined()
        return "POST /v1/chat/completions \(version)\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(key)\r\n"
            + "Content-Type: application/json\r\n\(extra)Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    /// Sends `request` (already framed) and returns all bytes of the answer, read until the server closes the
    /// connection, or until `enough` says the bytes so far are enough and the client hangs up.
    static func exchange(port: Int, _ request: String, until enough: (@Sendable (String) -> Bool)? = nil)
        async throws -> String
    {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let done = loop.makePromise(of: String.self)
        let channel = try await ClientBootstrap(group: loop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(done: done, enough: enough))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        try await channel.writeAndFlush(ByteBuffer(string: request))
        let timeout = loop.scheduleTask(in: .seconds(10)) { channel.close(promise: nil) }
        defer { timeout.cancel() }
        return try await done.futureResult.get()
    }
}

extension RawHTTP {
    /// One kept-alive client connection: each `send` writes a framed request and returns its answer (head and a
    /// `Content-Length` body).
    struct Session {
        var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
        let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
        var pending = ByteBuffer()

        mutating func send(_ request: String) async throws -> String {
            try await outbound.write(ByteBuffer(string: request))
            while true {
                if let answer = Self.takeAnswer(from: &pending) { return answer }
                guard var more = try await inbound.next() else { throw ClosedEarly() }
                pending.writeBuffer(&more)
            }
        }

        /// Writes a request in separate pieces, a little apart, and returns its answer.
        mutating func send(pieces: [[UInt8]]) async throws -> String {
            for piece in pieces {
                try await outbound.write(ByteBuffer(bytes: piece))
                try await Task.sleep(for: .milliseconds(20))
            }
            while true {
                if let answer = Self.takeAnswer(from: &pending) { return answer }
                guard var more = try await inbound.next() else { throw ClosedEarly() }
                pending.writeBuffer(&more)
            }
        }

        struct ClosedEarly: Error {}

        /// The first whole answer in `buffer` (framed by `Content-Length` or chunked), removed from it.
        static func takeAnswer(from buffer: inout ByteBuffer) -> String? {
            let bytes = Array(buffer.readableBytesView)
            let separator = Array("\r\n\r\n".utf8)
            guard let headEnd = bytes.firstRange(of: separator)?.upperBound else { return nil }
            let head = String(decoding: bytes[..<headEnd], as: UTF8.self).lowercased()
            let lines = head.split(separator: "\r\n")
            var end: Int?
            if lines.contains(where: { $0 == "transfer-encoding: chunked" }) {
                // Walk the chunks to the last one.
                var i = headEnd
                while let lineEnd = bytes[i...].firstRange(of: Array("\r\n".utf8))?.lowerBound {
                    guard let size = Int(String(decoding: bytes[i..<lineEnd], as: UTF8.self), radix: 16) else {
                        return nil
                    }
                    let next = lineEnd + 2 + size + 2
                    guard next <= bytes.count else { return nil }
                    i = next
                    if size == 0 {
                        end = next
                        break
                    }
                }
            } else {
                let lengthLine = lines.first { $0.hasPrefix("content-length:") }
                guard let lengthLine, let length = Int(lengthLine.dropFirst(15).trimmingCharacters(in: .whitespaces))
                else { return nil }
                end = headEnd + length <= bytes.count ? headEnd + length : nil
            }
            guard let end else { return nil }
            return buffer.readString(length: end)
        }
    }

    /// Runs `body` with one connection to the server, closed afterwards.
    static func withConnection<T: Sendable>(port: Int, _ body: (inout Session) async throws -> T) async throws -> T {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var session = Session(inbound: inbound.makeAsyncIterator(), outbound: outbound)
            return try await body(&session)
        }
    }
}

extension RawHTTP {
    /// The body of a chunked answer (everything after the head), unchunked as far as it goes, and whether it ended
    /// with the last chunk.
    static func unchunk(_ answer: String) -> (body: String, complete: Bool) {
        let bytes = Array(answer.utf8)
        guard let headEnd = bytes.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound else { return ("", false) }
        var i = headEnd
        var body: [UInt8] = []
        while let lineEnd = bytes[i...].firstRange(of: Array("\r\n".utf8))?.lowerBound,
            let size = Int(String(decoding: bytes[i..<lineEnd], as: UTF8.self), radix: 16)
        {
            if size == 0 { return (String(decoding: body, as: UTF8.self), true) }
            let start = lineEnd + 2
            let end = min(bytes.count, start + size)
            body += bytes[start..<end]
            guard end + 2 <= bytes.count else { break }
            i = end + 2
        }
        return (String(decoding: body, as: UTF8.self), false)
    }
}
