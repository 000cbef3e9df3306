import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
import WharfCore
import WharfStorage

/// Stub usage is 12 prompt (2 cached) + 5 completion tokens at $1/M in and $2/M out: 12 + 10 = 22 micro-units.
let stubCost: Int64 = 22
let startBalance: Int64 = 5_000_000

@Suite("Relay: answers and billing")
struct RelayBillingTests {
    @Test("The body goes upstream byte for byte, unknown fields kept; a mapped model changes only the name")
    func bodyForwardedUnchanged() async throws {
        let channels = [
            RelayHarness.ChannelSpec(name: "plain", models: ["gpt-4o-mini"], priority: 10),
            RelayHarness.ChannelSpec(name: "mapped", models: ["alias"], mapping: ["alias": "gpt-4o-mini"]),
        ]
        try await RelayHarness.with(channels: channels) { h in
            let extra = #", "x_vendor":{"keep":[1, 2.50, "\u00e9"]} , "temperature":0.70"#
            let plain = RelayHarness.chat(extra: extra)
            let first = try await h.request("/v1/chat/completions", body: plain)
            #expect(first.status == 200)
            let mapped = RelayHarness.chat(model: "alias", extra: extra)
            let second = try await h.request("/v1/chat/completions", body: mapped)
            #expect(second.status == 200)
            let sent = h.stubLog.all.map(\.body)
            #expect(
                sent == [plain, mapped.replacingOccurrences(of: #""model":"alias""#, with: #""model":"gpt-4o-mini""#)])
        }
    }

    @Test("A non-streamed chat is relayed unchanged and billed exactly for the reported usage")
    func nonStreamedChatBilledExactly() async throws {
        try await RelayHarness.with { h in
            let answer = try await h.request("/v1/chat/completions", body: RelayHarness.chat())
            #expect(answer.status == 200)
            #expect(answer.body.contains(#""content":"Hello from stub""#))
            #expect(try await h.flushedBalance() == Money(micros: startBalance - stubCost))
            let records = try await h.store.usageRecords(userID: h.user.id)
            #expect(records.count == 1)
            #expect(records.first?.usage == TokenUsage(promptTokens: 12, completionTokens: 5, cachedTokens: 2))
            #expect(records.first?.status == "ok")
            #expect(try await h.store.verifyLedger().isEmpty)
            // The upstream got the channel's key, never the client's.
            #expect(h.stubLog.all.first?.authorization == "Bearer upstream-key-stub")
        }
    }

    @Test("A stream passes through, the gateway asks for usage and hides the usage chunk the client did not ask for")
    func streamUsageStripped() async throws {
        try await RelayHarness.with { h in
            let answer = try await h.request("/v1/chat/completions", body: RelayHarness.chat(stream: true))
            #expect(answer.status == 200)
            #expect(answer.body.contains("data: [DONE]"))
            #expect(answer.body.contains(#""content":" stub""#))
            #expect(!answer.body.contains(#""usage""#))
            let sent = try #require(h.stubLog.all.first?.body)
            #expect(sent.contains(#""stream_options":{"include_usage":true}"#))
            #expect(try await h.flushedBalance() == Money(micros: startBalance - stubCost))
        }
    }

    @Test("A client that asks for usage in a stream gets the usage chunk")
    func streamUsageKeptWhenAsked() async throws {
        try await RelayHarness.with { h in
            let body = RelayHarness.chat(stream: true, extra: #","stream_options":{"include_usage":true}"#)
            let answer = try await h.request("/v1/chat/completions", body: body)
            #expect(answer.body.contains(#""usage":{"prompt_tokens":12"#))
            #expect(try await h.flushedBalance() == Money(micros: startBalance - stubCost))
        }
    }

    @Test("A stream cut by upstream bills the prompt estimate and the output produced, and ends visibly cut")
    func cutStreamBillsProduced() async throws {
        try await RelayHarness.with { h in
            let body = RelayHarness.chat(model: "cut", stream: true)
            let answer = try await RawHTTP.exchange(port: h.port, RawHTTP.chatPost(body, key: h.key))
            let (events, complete) = RawHTTP.unchunk(answer)
            #expect(!complete)
            #expect(!events.contains("[DONE]"))
            #expect(events.contains(#""code":"upstream_cut""#))
            let balance = try await h.flushedBalance()
            let record = try #require(try await h.store.usageRecords(userID: h.user.id).first)
            #expect(record.status == "upstream_cut")
            // "" + "Hello" + " from" were produced (10 bytes → 3 tokens at $2/M = 6 micros), plus the prompt estimate
            // of one token per 3 bytes of the body.
            #expect(record.usage.completionTokens == 3)
            #expect(record.usage.promptTokens == Int64((body.utf8.count + 2) / 3))
            #expect(record.cost.micros == record.usage.promptTokens * 1 + 6)
            #expect(balance == Money(micros: startBalance - record.cost.micros))
            #expect(try await h.store.verifyLedger().isEmpty)
        }
    }

    @Test("Embeddings are relayed and billed for prompt tokens only")
    func embeddingsBilled() async throws {
        try await RelayHarness.with { h in
            let answer = try await h.request(
                "/v1/embeddings", body: #"{"model":"text-embedding-3-small","input":"hello world"}"#)
            #expect(answer.status == 200)
            #expect(answer.body.contains("embedding"))
            #expect(try await h.flushedBalance() == Money(micros: startBalance - 4))
        }
    }

    @Test("The responses API reaches only channels that declare it, and is billed from its usage")
    func responsesEndpoint() async throws {
        let channels = [
            RelayHarness.ChannelSpec(name: "chat-only", models: ["gpt-4o-mini"], priority: 10),
            RelayHarness.ChannelSpec(
                name: "responses", models: ["gpt-4o-mini"], priority: 0, capabilities: ["chat", "responses"]),
        ]
        try await RelayHarness.with(channels: channels) { h in
            let body = #"{"model":"gpt-4o-mini","input":"Say hi"}"#
            let answer = try await h.request("/v1/responses", body: body)
            #expect(answer.status == 200)
            #expect(h.stubLog.all.map(\.authorization) == ["Bearer upstream-key-responses"])
            // 20 input x $1/M + 7 output x $2/M = 34 micro-units.
            #expect(try await h.flushedBalance() == Money(micros: startBalance - 34))
            let streamed = try await h.request(
                "/v1/responses", body: #"{"model":"gpt-4o-mini","input":"x","stream":true}"#)
            #expect(streamed.body.contains("response.completed"))
            #expect(try await h.flushedBalance() == Money(micros: startBalance - 68))
        }
    }

    @Test("Without a channel that declares the responses API, the model is not found there")
    func responsesNeedsCapability() async throws {
        try await RelayHarness.with { h in
            let answer = try await h.request("/v1/responses", body: #"{"model":"gpt-4o-mini","input":"hi"}"#)
            #expect(answer.status == 404)
            #expect(answer.errorCode == "model_not_found")
        }
    }

    @Test("The model list shows only the models this key may use")
    func modelsList() async throws {
        try await RelayHarness.with { h in
            let answer = try await h.request("/v1/models", method: .GET)
            #expect(answer.status == 200)
            let ids = ((answer.json["data"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
            #expect(ids.contains("gpt-4o-mini"))
            let (_, limited) = try await h.store.createKey(
                userID: h.user.id, name: "limited", policy: KeyPolicy(allowedModels: ["slow"]))
            #expect(
                try await h.eventually {
                    try await h.request("/v1/models", method: .GET, key: limited.value).status == 200
                })
            let only = try await h.request("/v1/models", method: .GET, key: limited.value)
            let limitedIDs = ((only.json["data"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
            #expect(limitedIDs == ["slow"])
        }
    }

    @Test("A relayed request runs no database statement")
    func noQueryOnHotPath() async throws {
        let tune: @Sendable (inout WharfConfig) -> Void = { c in
            c.reloadIntervalMillis = 60_000
            c.usageFlushMillis = 60_000
        }
        try await RelayHarness.with(tune: tune) { h in
            _ = try await h.request("/v1/chat/completions", body: RelayHarness.chat())
            let before = h.runtime.database.statements.count
            for _ in 0..<20 {
                #expect(try await h.request("/v1/chat/completions", body: RelayHarness.chat()).status == 200)
                #expect(
                    try await h.request("/v1/chat/completions", body: RelayHarness.chat(stream: true)).status == 200)
            }
            #expect(h.runtime.database.statements.count == before)
            #expect(h.services.writer.backlog == 41)
        }
    }
}
