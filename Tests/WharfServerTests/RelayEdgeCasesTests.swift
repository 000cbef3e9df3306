import Foundation
import NIOCore
import Testing
import WharfCore
import WharfStorage

/// Requests and upstream answers at the edges of HTTP and of the stored configuration.
@Suite("Relay: edges of HTTP and stored policies")
struct RelayEdgeCasesTests {
    @Test("Expect: 100-continue gets 100 Continue before the body; a refused one gets its error and the close")
    func expectContinue() async throws {
        try await RelayHarness.with { h in
            let body = RelayHarness.chat()
            let head = RawHTTP.chatPost(body, key: h.key, headers: ["Expect: 100-continue"]).dropLast(body.utf8.count)
            let answer = try await RawHTTP.withConnection(port: h.port) { session in
                try await session.outbound.write(ByteBuffer(string: String(head)))
                var got = ""
                while !got.contains("\r\n\r\n"), let more = try await session.inbound.next() {
                    got += String(buffer: more)
                }
                #expect(got == "HTTP/1.1 100 Continue\r\n\r\n")
                try await session.outbound.write(ByteBuffer(string: body))
                while !got.contains("chat.completion"), let more = try await session.inbound.next() {
                    got += String(buffer: more)
                }
                return got
            }
            #expect(answer.contains("HTTP/1.1 200 OK"))
            let refusedHead = RawHTTP.chatPost(body, key: "sk-nope", headers: ["Expect: 100-continue"])
                .dropLast(body.utf8.count)
            let refused = try await RawHTTP.exchange(port: h.port, String(refusedHead))
            #expect(refused.hasPrefix("HTTP/1.1 401"))
            #expect(!refused.contains("100 Continue"))
        }
    }

    @Test("A head whose lines end in bare LFs is answered, never left hanging")
    func bareLFHead() async throws {
        try await RelayHarness.with { h in
            let body = RelayHarness.chat()
            let request =
                "POST /v1/chat/completions HTTP/1.1\nHost: 127.0.0.1\nAuthorization: Bearer \(h.key)\n"
                + "Connection: close\nContent-Length: \(body.utf8.count)\n\n\(body)"
            let started = ContinuousClock.now
            let answer = try await RawHTTP.exchange(port: h.port, request)
            #expect(ContinuousClock.now - started < .seconds(5))
            #expect(answer.hasPrefix("HTTP/1.1 "))
        }
    }

    @Test("An upstream 204 is no answer: the request fails over and the client gets a well-framed stream")
    func noContentFailsOver() async throws {
        let channels = [
            RelayHarness.ChannelSpec(
                name: "empty", models: ["gpt-4o-mini"], priority: 10, mapping: ["gpt-4o-mini": "no-content"]),
            RelayHarness.ChannelSpec(name: "good", models: ["gpt-4o-mini"], priority: 0),
        ]
        try await RelayHarness.with(channels: channels) { h in
            h.stubLog.scripts.withLock { $0["no-content"] = .init(status: 204, pieces: []) }
            let chat = RawHTTP.chatPost(RelayHarness.chat(stream: true), key: h.key)
            let last = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            let answer = try await RawHTTP.exchange(port: h.port, chat + last)
            let (events, complete) = RawHTTP.unchunk(answer)
            #expect(complete)
            #expect(events.contains("[DONE]"))
            // The next answer on the connection is intact.
            #expect(answer.hasSuffix("\r\n\r\nok"))
            #expect(try await h.flushedBalance() == Money(micros: startBalance - stubCost))
        }
    }

    @Test("One server-sent event over the bound cuts the stream; the prompt estimate is still charged")
    func oversizedEvent() async throws {
        let tune: @Sendable (inout WharfConfig) -> Void = { $0.maxSSEEventBytes = 4096 }
        try await RelayHarness.with(channels: [.init(name: "stub", models: ["huge-event"])], tune: tune) { h in
            let endless = "data: {\"choices\":[{\"delta\":{\"content\":\"" + String(repeating: "x", count: 2000)
            h.stubLog.scripts.withLock {
                $0["huge-event"] = .init(pieces: Array(repeating: endless, count: 20), pauseMillis: 5)
            }
            let body = RelayHarness.chat(model: "huge-event", stream: true)
            let answer = try await RawHTTP.exchange(port: h.port, RawHTTP.chatPost(body, key: h.key))
            let (events, complete) = RawHTTP.unchunk(answer)
            #expect(!complete)
            #expect(events.contains(#""code":"upstream_cut""#))
            let balance = try await h.flushedBalance()
            let record = try #require(try await h.store.usageRecords(userID: h.user.id).first)
            #expect(record.status == "upstream_cut")
            #expect(record.usage.promptTokens == Int64((body.utf8.count + 2) / 3))
            // What was held of the event counts as text (the stream is stripped, so the event's line and raw bytes
            // share the 4 KiB bound: about 2 KiB to 6 KiB of it), never the 40 KB the upstream had for it.
            #expect((500...1600).contains(record.usage.completionTokens))
            #expect(balance == Money(micros: startBalance - record.cost.micros))
        }
    }

    @Test("X-Forwarded-For in two field lines is read whole: the client's own value does not pass an allowlist")
    func forwardedForLines() async throws {
        let tune: @Sendable (inout WharfConfig) -> Void = { $0.trustedProxies = [IPRange("127.0.0.1/32")!] }
        try await RelayHarness.with(tune: tune) { h in
            let (_, limited) = try await h.store.createKey(
                userID: h.user.id, name: "office", policy: KeyPolicy(allowedIPs: [IPRange("198.51.100.0/24")!]))
            let lines = ["X-Forwarded-For: 198.51.100.7", "X-Forwarded-For: 203.0.113.9"]
            var answer = ""
            _ = try await h.eventually {
                answer = try await RawHTTP.exchange(
                    port: h.port,
                    RawHTTP.chatPost(RelayHarness.chat(), key: limited.value, headers: lines + ["Connection: close"]))
                return !answer.contains("invalid_api_key")
            }
            // The proxy appended the client's real address (203.0.113.9) in a line of its own.
            #expect(answer.hasPrefix("HTTP/1.1 403"))
            #expect(answer.contains("ip_not_allowed"))
        }
    }

    @Test("A key whose stored policy cannot be read is refused (fail closed), not allowed everywhere")
    func unreadablePolicy() async throws {
        try await RelayHarness.with { h in
            let (key, limited) = try await h.store.createKey(
                userID: h.user.id, name: "office", policy: KeyPolicy(allowedModels: ["slow"]))
            #expect(
                try await h.eventually {
                    try await h.request("/v1/models", method: .GET, key: limited.value).status == 200
                })
            try await h.store.database.withConnection { db in
                try await db.raw("UPDATE api_keys SET allowed_models = 'not json' WHERE id = \(bind: key.id)").run()
            }
            try await h.services.watcher.reload()
            let answer = try await h.request("/v1/chat/completions", body: RelayHarness.chat(), key: limited.value)
            #expect(answer.status == 401)
            #expect(try await h.store.activeKeys().first { $0.id == key.id }?.policyReadable == false)
        }
    }
}
