import Foundation
import Testing
import WharfCore
import WharfServer

/// How the gateway uses connections: requests pipelined on one client connection are answered in order whichever
/// part of the server answers them, upstream connections are reused, and a reused connection the upstream had
/// closed is retried without counting against the channel.
@Suite("Relay: client and upstream connections")
struct RelayConnectionTests {
    @Test("Pipelined requests on one connection are answered in order, pages and relayed requests alike")
    func pipelinedRequestsInOrder() async throws {
        try await RelayHarness.with { h in
            let chat = RawHTTP.chatPost(RelayHarness.chat(), key: h.key)
            let health = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            let bad = RawHTTP.chatPost("{}", key: "sk-nope")
            let last = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            let answer = try await RawHTTP.exchange(port: h.port, health + chat + bad + chat + last)
            let statuses = answer.components(separatedBy: "HTTP/1.1 ").dropFirst().map { String($0.prefix(3)) }
            #expect(statuses == ["200", "200", "401", "200", "200"])
            let completion = try #require(answer.range(of: "chat.completion"))
            let invalid = try #require(answer.range(of: "invalid_api_key"))
            let firstOK = try #require(answer.range(of: "\r\n\r\nok"))
            #expect(firstOK.lowerBound < completion.lowerBound)
            #expect(completion.lowerBound < invalid.lowerBound)
            #expect(answer.hasSuffix("ok"))
            #expect(try await h.flushedBalance() == Money(micros: startBalance - 2 * stubCost))
        }
    }

    @Test(
        "Request bodies on either side of 16 KiB reach upstream byte for byte, and a long answer arrives whole, on one connection"
    )
    func bodiesAroundTheCopyLimit() async throws {
        try await RelayHarness.with { h in
            let empty = RelayHarness.chat(prompt: "").utf8.count
            var bodies: [String] = []
            for size in [16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 40_000] {
                bodies.append(RelayHarness.chat(prompt: String(repeating: "p", count: size - empty)))
            }
            #expect(bodies.map(\.utf8.count) == [16_383, 16_384, 16_385, 40_000])
            let long = RelayHarness.chat(model: "long-answer")
            let answers = try await RawHTTP.withConnection(port: h.port) { session in
                var answers: [String] = []
                for body in bodies + [long] {
                    answers.append(try await session.send(RawHTTP.chatPost(body, key: h.key)))
                }
                return answers
            }
            #expect(answers.allSatisfy { $0.hasPrefix("HTTP/1.1 200") })
            // The answers are framed by their Content-Length; the long one holds all of its content.
            #expect(answers.last?.contains(String(repeating: "x", count: 20_000) + "\"") == true)
            #expect(answers.last?.hasSuffix("}") == true)
            #expect(h.stubLog.all.map(\.body) == bodies + [long])
            #expect(try await h.flushedBalance() == Money(micros: startBalance - 5 * stubCost))
        }
    }

    @Test("A key revoked while its client keeps the connection open is refused on that connection's next request")
    func revokedKeyOnOpenConnection() async throws {
        try await RelayHarness.with { h in
            let key = try #require(try await h.store.keys(userID: h.user.id).first)
            try await RawHTTP.withConnection(port: h.port) { connection in
                let before = try await connection.send(RawHTTP.chatPost(RelayHarness.chat(), key: h.key))
                #expect(before.hasPrefix("HTTP/1.1 200"))
                try await h.store.revokeKey(id: key.id)
                try await h.services.watcher.reload()
                let after = try await connection.send(RawHTTP.chatPost(RelayHarness.chat(), key: h.key))
                #expect(after.hasPrefix("HTTP/1.1 401"))
                #expect(after.contains("invalid_api_key"))
            }
        }
    }

    @Test("Requests on one connection that carry different keys are each billed to their own key")
    func keysChangeWithinConnection() async throws {
        try await RelayHarness.with { h in
            let first = try #require(try await h.store.keys(userID: h.user.id).first)
            let (second, secret) = try await h.store.createKey(userID: h.user.id, name: "second")
            try await h.services.watcher.reload()
            try await RawHTTP.withConnection(port: h.port) { connection in
                for key in [h.key, secret.value, h.key, "sk-not-a-key", secret.value] {
                    _ = try await connection.send(RawHTTP.chatPost(RelayHarness.chat(), key: key))
                }
            }
            await h.services.writer.flush()
            // Rows of one millisecond have no order among them: compare how many each key has.
            let keys = try await h.store.usageRecords(userID: h.user.id).map(\.keyID)
            #expect(keys.sorted() == [first.id, first.id, second.id, second.id].sorted())
        }
    }

    @Test("Relayed calls read by the fast path, then a page, then more calls: answered in order on one connection")
    func fastPathThenHandOver() async throws {
        try await RelayHarness.with { h in
            let chat = RawHTTP.chatPost(RelayHarness.chat(), key: h.key)
            let health = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            let last = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            let answer = try await RawHTTP.exchange(port: h.port, chat + chat + health + chat + last)
            let statuses = answer.components(separatedBy: "HTTP/1.1 ").dropFirst().map { String($0.prefix(3)) }
            #expect(statuses == ["200", "200", "200", "200", "200"])
            let pieces = answer.components(separatedBy: "HTTP/1.1 200 OK").dropFirst()
            #expect(pieces.map { $0.contains("chat.completion") } == [true, true, false, true, false])
            #expect(answer.hasSuffix("ok"))
            #expect(try await h.flushedBalance() == Money(micros: startBalance - 3 * stubCost))
        }
    }

    @Test("A relayed call whose head and body arrive in pieces is read whole")
    func fastPathInPieces() async throws {
        try await RelayHarness.with { h in
            let request = Array(RawHTTP.chatPost(RelayHarness.chat(), key: h.key).utf8)
            try await RawHTTP.withConnection(port: h.port) { connection in
                let headEnd = try #require(request.firstRange(of: Array("\r\n\r\n".utf8))).upperBound
                // Inside the first line, between the CR and LF of the blank line, right after the head, in the body.
                for cut in [1, 30, headEnd - 1, headEnd, request.count - 40, request.count - 1] {
                    let answer = try await connection.send(pieces: [Array(request[..<cut]), Array(request[cut...])])
                    #expect(answer.hasPrefix("HTTP/1.1 200"), "cut at \(cut)")
                    #expect(answer.contains("chat.completion"))
                }
            }
        }
    }

    @Test("A call refused at once with Connection: close is the connection's last: what was pipelined after is not run")
    func nothingAfterClosingAnswer() async throws {
        try await RelayHarness.with { h in
            let refused = RawHTTP.chatPost(RelayHarness.chat(), key: "sk-wrong", headers: ["Connection: close"])
            let next = RawHTTP.chatPost(RelayHarness.chat(), key: h.key)
            let answer = try await RawHTTP.exchange(port: h.port, refused + next + next)
            #expect(answer.components(separatedBy: "HTTP/1.1 ").count == 2)
            #expect(answer.hasPrefix("HTTP/1.1 401"))
            #expect(h.stubLog.all.isEmpty)
            #expect(try await h.flushedBalance() == Money(micros: startBalance))
        }
    }

    @Test("A request with Connection: close gets its answer, then the connection closes")
    func connectionCloseHonoured() async throws {
        try await RelayHarness.with { h in
            let chat = RawHTTP.chatPost(RelayHarness.chat(), key: h.key, headers: ["Connection: close"])
            // The exchange returns when the server closes (or after 10 s, which would be a failure).
            let started = ContinuousClock.now
            let answer = try await RawHTTP.exchange(port: h.port, chat)
            #expect(ContinuousClock.now - started < .seconds(5))
            #expect(answer.components(separatedBy: "HTTP/1.1 ").count == 2)
            #expect(answer.contains("chat.completion"))
        }
    }

    @Test("A streamed answer is chunked on the wire, one chunk per piece, and ends with the last chunk")
    func streamChunkedOnTheWire() async throws {
        try await RelayHarness.with { h in
            let request = RawHTTP.chatPost(
                RelayHarness.chat(stream: true), key: h.key, headers: ["Connection: close"])
            let answer = try await RawHTTP.exchange(port: h.port, request)
            let parts = answer.components(separatedBy: "\r\n\r\n")
            let head = parts[0].lowercased()
            #expect(head.hasPrefix("http/1.1 200 ok"))
            #expect(head.contains("transfer-encoding: chunked"))
            #expect(head.contains("content-type: text/event-stream"))
            #expect(head.contains("connection: close"))
            #expect(!head.contains("content-length"))
            // Undo the chunking by hand, on bytes: every size line is hex and matches its data, and the last is 0.
            var rest = Array(answer.utf8.dropFirst(parts[0].utf8.count + 4))
            var data: [UInt8] = []
            while true {
                let lineEnd = try #require(rest.firstIndex(of: UInt8(ascii: "\r")))
                let size = try #require(Int(String(decoding: rest[..<lineEnd], as: UTF8.self), radix: 16))
                rest.removeFirst(lineEnd + 2)
                if size == 0 { break }
                data += rest.prefix(size)
                rest.removeFirst(size)
                #expect(rest.starts(with: Array("\r\n".utf8)))
                rest.removeFirst(2)
            }
            #expect(rest == Array("\r\n".utf8))
            let events = String(decoding: data, as: UTF8.self)
            #expect(events.hasPrefix("data: "))
            #expect(events.hasSuffix("data: [DONE]\n\n"))
        }
    }

    @Test(
        "After a relayed answer, a HEAD gets its answer without a body (no HEAD routes: 404) and the next is framed right"
    )
    func headAfterRelayed() async throws {
        try await RelayHarness.with { h in
            let chat = RawHTTP.chatPost(RelayHarness.chat(), key: h.key)
            let head = "HEAD /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            let last = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            let answer = try await RawHTTP.exchange(port: h.port, chat + head + last)
            let answers = answer.components(separatedBy: "HTTP/1.1 ").dropFirst()
            #expect(answers.map { String($0.prefix(3)) } == ["200", "404", "200"])
            let headAnswer = try #require(answers.dropFirst().first)
            // The HEAD answer ends with its head.
            #expect(headAnswer.hasSuffix("\r\n\r\n"))
            #expect(answer.hasSuffix("\r\n\r\nok"))
        }
    }

    @Test("A streamed answer and then a JSON answer share one kept-alive connection")
    func streamThenJSON() async throws {
        try await RelayHarness.with { h in
            try await RawHTTP.withConnection(port: h.port) { connection in
                let stream = try await connection.send(RawHTTP.chatPost(RelayHarness.chat(stream: true), key: h.key))
                #expect(stream.lowercased().contains("transfer-encoding: chunked"))
                #expect(stream.hasSuffix("0\r\n\r\n"))
                let json = try await connection.send(RawHTTP.chatPost(RelayHarness.chat(), key: h.key))
                #expect(json.hasPrefix("HTTP/1.1 200"))
                #expect(json.contains("chat.completion"))
            }
            #expect(try await h.flushedBalance() == Money(micros: startBalance - 2 * stubCost))
        }
    }

    @Test("A chunked body over the limit gets 413 and the connection closes without reading the rest")
    func oversizedChunkedBodyRefused() async throws {
        let tune: @Sendable (inout WharfConfig) -> Void = { $0.maxBodyBytes = 1024 }
        try await RelayHarness.with(tune: tune) { h in
            let chunk = String(repeating: "x", count: 2048)
            // The last chunk and terminator are never sent: the server must not wait for them.
            let request =
                "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(h.key)\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n800\r\n\(chunk)\r\n"
            let started = ContinuousClock.now
            let answer = try await RawHTTP.exchange(port: h.port, request)
            #expect(ContinuousClock.now - started < .seconds(5))
            #expect(answer.hasPrefix("HTTP/1.1 413"))
            #expect(answer.lowercased().contains("connection: close"))
            #expect(answer.contains("request_too_large"))
            #expect(h.stubLog.all.isEmpty)
        }
    }

    @Test("Upstream connections are kept alive; one the upstream closed while idle is retried once, not failed over")
    func staleKeepAliveRetried() async throws {
        let upstream = try await OneAnswerPerConnectionUpstream.start()
        let channels = [
            RelayHarness.ChannelSpec(
                name: "flaky-keepalive", models: ["gpt-4o-mini"], priority: 10,
                baseURL: "http://127.0.0.1:\(upstream.port)/v1"),
            RelayHarness.ChannelSpec(name: "other", models: ["gpt-4o-mini"], priority: 0),
        ]
        try await RelayHarness.with(channels: channels) { h in
            for _ in 0..<3 {
                let answer = try await h.request("/v1/chat/completions", body: RelayHarness.chat())
                #expect(answer.status == 200)
                #expect(answer.body.contains(#""content":"Hi""#))
            }
            // Every request was answered by the first channel: each reuse found the connection closed and went to a
            // fresh one to the same upstream, never to the other channel.
            #expect(upstream.counters.answered.withLockedValue { $0 } == 3)
            #expect(h.stubLog.all.isEmpty)
            #expect(upstream.counters.connections.withLockedValue { $0 } == 3)
        }
        await upstream.stop()
    }

    @Test("A channel whose key holds a line break is never sent to: requests fail over")
    func headerUnsafeKeyNeverSent() async throws {
        let channels = [
            RelayHarness.ChannelSpec(name: "unsafe", models: ["gpt-4o-mini"], priority: 10),
            RelayHarness.ChannelSpec(name: "good", models: ["gpt-4o-mini"], priority: 0),
        ]
        let keys: @Sendable (String) -> String = { name in
            name == "unsafe" ? "sk-upstream\r\nX-Injected: 1" : "upstream-key-\(name)"
        }
        try await RelayHarness.with(channels: channels, apiKey: keys) { h in
            let answer = try await h.request("/v1/chat/completions", body: RelayHarness.chat())
            #expect(answer.status == 200)
            let sent = h.stubLog.all
            #expect(sent.count == 1)
            #expect(sent.first?.authorization == "Bearer upstream-key-good")
        }
    }
}
