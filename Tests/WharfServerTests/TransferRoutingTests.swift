import Foundation
import Testing
import WharfCore
import WharfServer
import WharfStorage

@Suite("Region, zero-retention and no-training routing")
struct TransferRoutingTests {
    /// A US channel that retains data (high priority) and an EU zero-retention channel, both serving `shared`;
    /// `us-only` is served by the US channel alone.
    static let channels = [
        RelayHarness.ChannelSpec(
            name: "us", models: ["shared", "us-only"], priority: 10, region: "us",
            dataPolicy: DataPolicy(retains: true, trains: true)),
        RelayHarness.ChannelSpec(
            name: "eu", models: ["shared"], priority: 0, region: "eu",
            dataPolicy: DataPolicy(retains: false, trains: false)),
    ]

    func key(_ h: RelayHarness, _ transfer: TransferConstraints) async throws -> String {
        var policy = KeyPolicy()
        policy.transfer = transfer
        let (_, secret) = try await h.store.createKey(userID: h.user.id, name: "constrained", policy: policy)
        let loaded = try await h.eventually {
            try await h.request("/v1/models", method: .GET, key: secret.value).status == 200
        }
        #expect(loaded)
        return secret.value
    }

    @Test(
        "A key limited to a region or to zero retention, whose model only a non-compliant channel serves, is refused and nothing goes upstream",
        arguments: [
            TransferConstraints(regions: ["eu"]), TransferConstraints(requireZeroRetention: true),
            TransferConstraints(requireNoTraining: true),
        ])
    func failsClosed(_ transfer: TransferConstraints) async throws {
        try await RelayHarness.with(channels: Self.channels) { h in
            let secret = try await key(h, transfer)
            let before = h.stubLog.all.count
            let balance = try await h.flushedBalance()
            let answer = try await h.request(
                "/v1/chat/completions", body: RelayHarness.chat(model: "us-only"), key: secret)
            #expect(answer.status == 403)
            #expect(answer.errorCode == "no_compliant_channel")
            let listed = try await h.request("/v1/models", method: .GET, key: secret).body
            #expect(!listed.contains("\"us-only\""), "a model only non-compliant channels serve is not offered")
            #expect(listed.contains("\"shared\""), "the compliant channel's model is")
            #expect(h.stubLog.all.count == before, "the stub upstream received nothing")
            #expect(try await h.flushedBalance() == balance, "nothing is charged")
            let messages = try await h.request(
                "/v1/messages",
                body: #"{"model":"us-only","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}"#,
                key: secret, headers: [("anthropic-version", "2023-06-01")])
            #expect(messages.status == 403)
            #expect(messages.body.contains("no_compliant_channel") || messages.body.contains("data-transfer"))
            #expect(h.stubLog.all.count == before)
        }
    }

    @Test("A constrained key goes only to the compliant channel, even though a non-compliant one ranks first")
    func routesToCompliant() async throws {
        try await RelayHarness.with(channels: Self.channels) { h in
            let secret = try await key(h, TransferConstraints(regions: ["EU"], requireZeroRetention: true))
            for _ in 0..<5 {
                let answer = try await h.request(
                    "/v1/chat/completions", body: RelayHarness.chat(model: "shared"), key: secret)
                #expect(answer.status == 200)
            }
            #expect(h.stubLog.all.count == 5)
            #expect(h.stubLog.all.allSatisfy { $0.authorization == "Bearer upstream-key-eu" })
            _ = try await h.flushedBalance()
            let records = try await h.store.usageRecords(userID: h.user.id)
            #expect(records.count == 5)
            #expect(records.allSatisfy { $0.region == "eu" }, "the request log shows the region that served")
            // An unconstrained key takes the first tier (the US channel).
            let plain = try await h.request("/v1/chat/completions", body: RelayHarness.chat(model: "shared"))
            #expect(plain.status == 200)
            #expect(h.stubLog.all.last?.authorization == "Bearer upstream-key-us")
        }
    }

    @Test("The account's default applies to every key of the account, with the key's own")
    func accountDefault() async throws {
        try await RelayHarness.with(channels: Self.channels) { h in
            #expect(
                try await h.request("/v1/chat/completions", body: RelayHarness.chat(model: "us-only")).status == 200)
            try await h.store.setTransferDefault(userID: h.user.id, TransferConstraints(requireZeroRetention: true))
            let refused = try await h.eventually(10) {
                try await h.request("/v1/chat/completions", body: RelayHarness.chat(model: "us-only")).errorCode
                    == "no_compliant_channel"
            }
            #expect(refused)
            let before = h.stubLog.all.count
            #expect(try await h.request("/v1/chat/completions", body: RelayHarness.chat(model: "shared")).status == 200)
            #expect(h.stubLog.all.count == before + 1)
            #expect(h.stubLog.all.last?.authorization == "Bearer upstream-key-eu")
        }
    }

    @Test("Combining constraints: the regions both allow and every requirement of either")
    func combining() {
        let key = TransferConstraints(regions: ["eu", "us"])
        let account = TransferConstraints(regions: ["eu"], requireNoTraining: true)
        let both = key.combined(with: account)
        #expect(both.regions == ["eu"] && both.requireNoTraining && !both.requireZeroRetention)
        let disjoint = TransferConstraints(regions: ["us"]).combined(with: TransferConstraints(regions: ["eu"]))
        let eu = Channel(
            id: "c", name: "c", provider: .openai, baseURL: "https://x", models: [], region: "eu",
            dataPolicy: DataPolicy(retains: false, trains: false))
        #expect(!disjoint.allows(eu), "disjoint region lists allow nothing")
        #expect(TransferConstraints.parseRegions("eu, US-East") == ["eu", "us-east"])
        #expect(TransferConstraints.parseRegions("eu;drop table") == nil)
    }
}
