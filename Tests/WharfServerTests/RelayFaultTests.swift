import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
import WharfCore
import WharfStorage

@Suite("Relay: faults, failover and errors")
struct RelayFaultTests {
    @Test("A failing first channel fails over to the next tier and the client is billed once")
    func failoverBeforeFirstByte() async throws {
        let channels = RelayHarness.brokenThenGood
        try await RelayHarness.with(channels: channels) { h in
            let answer = try await h.request("/v1/chat/completions", body: RelayHarness.chat())
            #expect(answer.status == 200)
            let sent = h.stubLog.all
            #expect(sent.count == 2)
            #expect(sent.first?.body.contains(#""model":"fail-500""#) == true)  // mapped upstream name
            #expect(sent.first?.authorization == "Bearer upstream-key-broken")
            #expect(sent.last?.authorization == "Bearer upstream-key-good")
            #expect(try await h.flushedBalance() == Money(micros: startBalance - stubCost))
        }
    }

    @Test("A refused connection counts as a channel failure and moves on")
    func connectionRefusedFailsOver() async throws {
        let channels = [
            RelayHarness.ChannelSpec(
                name: "dead", models: ["gpt-4o-mini"], priority: 10, baseURL: "http://127.0.0.1:9/v1"),
            RelayHarness.ChannelSpec(name: "good", models: ["gpt-4o-mini"], priority: 0),
        ]
        try await RelayHarness.with(channels: channels) { h in
            let answer = try await h.request("/v1/chat/completions", body: RelayHarness.chat())
            #expect(answer.status == 200)
        }
    }

    @Test("A connection reset before any answer fails over, and costs nothing when no channel is left")
    func connectionResetFailsOver() async throws {
        let resetting = try await ResettingUpstream.start()
        let channels = [
            RelayHarness.ChannelSpec(
                name: "reset", models: ["gpt-4o-mini", "only-reset"], priority: 10,
                baseURL: "http://127.0.0.1:\(resetting.port)/v1"),
            RelayHarness.ChannelSpec(name: "good", models: ["gpt-4o-mini"], priority: 0),
        ]
        try await RelayHarness.with(channels: channels) { h in
            let answer = try await h.request("/v1/chat/completions", body: RelayHarness.chat())
            #expect(answer.status == 200)
            #expect(try await h.flushedBalance() == Money(micros: startBalance - stubCost))
            let failed = try await h.request("/v1/chat/completions", body: RelayHarness.chat(model: "only-reset"))
            #expect(failed.status == 502)
            #expect(!failed.body.contains("\(resetting.port)"))
            #expect(try await h.flushedBalance() == Money(micros: startBalance - stubCost))
        }
        await resetting.stop()
    }

    @Test(
        "When every upstream fails the client gets a 5xx without upstream details and is not charged",
        arguments: ["fail-500", "fail-429", "timeout"])
    func allFailedNotCharged(model: String) async throws {
        try await RelayHarness.with { h in
            let answer = try await h.request(
                "/v1/chat/completions", body: RelayHarness.chat(model: model, prompt: "purple-elephant-4711"))
            // All rate limited: a 429 the client may retry later; otherwise a 502.
            #expect(answer.status == (model == "fail-429" ? 429 : 502))
            #expect(answer.errorCode == (model == "fail-429" ? "upstream_rate_limited" : "upstream_error"))
            #expect(!answer.body.contains("purple-elephant"))
            #expect(
                !answer.body.contains("10.9.8.7") && !answer.body.contains("127.0.0.1")
                    && !answer.body.contains("upstream-key"))
            #expect(try await h.flushedBalance() == Money(micros: startBalance))
            #expect(try await h.store.usageRecords(userID: h.user.id).first?.status == "upstream_error")
        }
    }

    @Test("An upstream error that echoes the prompt is reduced to status, type and code")
    func upstreamRejectionReduced() async throws {
        try await RelayHarness.with { h in
            let answer = try await h.request(
                "/v1/chat/completions", body: RelayHarness.chat(model: "reject-400", prompt: "purple-elephant-4711"))
            #expect(answer.status == 400)
            #expect(!answer.body.contains("purple-elephant"))
            #expect(!answer.body.contains("10.9.8.7"))
            #expect(answer.errorCode == "invalid_request_error_code")
            #expect(try await h.flushedBalance() == Money(micros: startBalance))
        }
    }

    @Test("A circuit opens after repeated failures and the channel is skipped during its cool-down")
    func circuitBreakerOpens() async throws {
        let channels = RelayHarness.brokenThenGood
        let tune: @Sendable (inout WharfConfig) -> Void = { c in
            c.breakerFailures = 2
            c.breakerCooldownMillis = 60_000
        }
        try await RelayHarness.with(
            channels: channels,
            tune: tune
        ) { h in
            for _ in 0..<5 {
                let answer = try await h.request("/v1/chat/completions", body: RelayHarness.chat())
                #expect(answer.status == 200)
            }
            let toBroken = h.stubLog.all.filter { $0.authorization == "Bearer upstream-key-broken" }.count
            #expect(toBroken == 2)
        }
    }

    @Test("The client's mistakes get OpenAI-shaped errors with the right status")
    func clientErrors() async throws {
        let tune: @Sendable (inout WharfConfig) -> Void = { c in c.maxBodyBytes = 4096 }
        try await RelayHarness.with(tune: tune) { h in
            let cases: [(String, String?, Int, String?)] = [
                (RelayHarness.chat(), "sk-wrongwrongwrongwrongwrongwrongwrongwrongwrongwrong", 401, "invalid_api_key"),
                (RelayHarness.chat(), "", 401, "invalid_api_key"),
                (RelayHarness.chat(model: "no-such-model"), nil, 404, "model_not_found"),
                ("{not json", nil, 400, nil),
                (#"{"messages":[]}"#, nil, 400, nil),
                (#"{"model":42}"#, nil, 400, nil),
                (RelayHarness.chat(prompt: String(repeating: "a", count: 5000)), nil, 413, "request_too_large"),
            ]
            for (body, key, status, code) in cases {
                let answer = try await h.request("/v1/chat/completions", body: body, key: key)
                #expect(answer.status == status, "\(body.prefix(30))")
                #expect(answer.json["error"] != nil)
                if let code { #expect(answer.errorCode == code) }
                #expect(((answer.json["error"] as? [String: Any])?["message"] as? String)?.isEmpty == false)
            }
            #expect(try await h.flushedBalance() == Money(micros: startBalance))
        }
    }

    @Test("A user whose balance cannot cover the hold gets 429 insufficient_quota")
    func insufficientBalance() async throws {
        try await RelayHarness.with(balance: Money(micros: 100)) { h in
            let answer = try await h.request("/v1/chat/completions", body: RelayHarness.chat())
            #expect(answer.status == 429)
            #expect(answer.errorCode == "insufficient_quota")
            #expect(h.stubLog.all.isEmpty)
        }
    }

    @Test("Keys limited by model, address, spend or expiry are refused")
    func keyPolicies() async throws {
        try await RelayHarness.with { h in
            let (_, modelKey) = try await h.store.createKey(
                userID: h.user.id, name: "m", policy: KeyPolicy(allowedModels: ["slow"]))
            let (_, ipKey) = try await h.store.createKey(
                userID: h.user.id, name: "i", policy: KeyPolicy(allowedIPs: [IPRange("10.0.0.0/8")!]))
            let (_, spendKey) = try await h.store.createKey(
                userID: h.user.id, name: "s", policy: KeyPolicy(spendLimit: Money(micros: 10)))
            let (_, oldKey) = try await h.store.createKey(
                userID: h.user.id, name: "e", policy: KeyPolicy(expiresAtMillis: 1))
            #expect(
                try await h.eventually {
                    try await h.request("/v1/models", method: .GET, key: modelKey.value).status == 200
                })
            #expect(
                try await h.request("/v1/chat/completions", body: RelayHarness.chat(), key: modelKey.value).status
                    == 403)
            #expect(
                try await h.request("/v1/chat/completions", body: RelayHarness.chat(), key: ipKey.value).status == 403)
            #expect(
                try await h.request("/v1/chat/completions", body: RelayHarness.chat(), key: spendKey.value).errorCode
                    == "insufficient_quota")
            #expect(
                try await h.request("/v1/chat/completions", body: RelayHarness.chat(), key: oldKey.value).status == 401)
        }
    }

    @Test("A 200 from upstream whose body is not JSON is a gateway error, and free")
    func malformedUpstreamAnswer() async throws {
        try await RelayHarness.with { h in
            let answer = try await h.request("/v1/chat/completions", body: RelayHarness.chat(model: "malformed"))
            #expect(answer.status == 502)
            #expect(!answer.body.contains("oops"))
            #expect(try await h.flushedBalance() == Money(micros: startBalance))
            #expect(try await h.store.usageRecords(userID: h.user.id).first?.status == "upstream_malformed")
        }
    }

    @Test("A key over its requests-per-minute limit gets 429 rate_limit_exceeded, other keys are unaffected")
    func perKeyRateLimit() async throws {
        try await RelayHarness.with { h in
            let (_, limited) = try await h.store.createKey(
                userID: h.user.id, name: "rl", policy: KeyPolicy(requestsPerMinute: 3))
            #expect(
                try await h.eventually {
                    try await h.request("/v1/models", method: .GET, key: limited.value).status == 200
                })
            var statuses: [Int] = []
            for _ in 0..<4 {
                statuses.append(
                    try await h.request("/v1/chat/completions", body: RelayHarness.chat(), key: limited.value).status)
            }
            #expect(statuses == [200, 200, 200, 429])
            let over = try await h.request("/v1/chat/completions", body: RelayHarness.chat(), key: limited.value)
            #expect(over.errorCode == "rate_limit_exceeded")
            #expect(try await h.request("/v1/chat/completions", body: RelayHarness.chat()).status == 200)
        }
    }

    @Test("A revoked key stops working within 2 seconds")
    func revokedKeyStops() async throws {
        try await RelayHarness.with { h in
            #expect(try await h.request("/v1/chat/completions", body: RelayHarness.chat()).status == 200)
            let key = try #require(try await h.store.keys(userID: h.user.id).first)
            try await h.store.revokeKey(id: key.id)
            let start = Date()
            #expect(try await h.eventually(2) { try await h.request("/v1/models", method: .GET).status == 401 })
            #expect(Date().timeIntervalSince(start) < 2)
        }
    }
}
