import Foundation
import Testing
import WharfCore
import WharfStorage

@Suite("Admin API: roles, address allowlist, channel health")
struct AdminAPITests {
    /// Creates an account with `role` and a key for it, and waits until the server knows the key.
    static func key(_ h: RelayHarness, role: Role, email: String) async throws -> String {
        let user = try await h.store.createUser(
            email: EmailAddress(email)!, username: String(email.prefix(while: { $0 != "@" })), passwordHash: "x",
            role: role)
        let (_, secret) = try await h.store.createKey(userID: user.id, name: "admin")
        _ = try await h.eventually { try await h.request("/v1/models", method: .GET, key: secret.value).status == 200 }
        return secret.value
    }

    @Test("An admin key from an allowed address sees every channel with its circuit state, never its key")
    func adminSeesChannels() async throws {
        try await RelayHarness.with { h in
            let admin = try await Self.key(h, role: .admin, email: "root@example.com")
            let answer = try await h.request("/admin/api/channels", method: .GET, key: admin)
            #expect(answer.status == 200)
            let data = try #require(answer.json["data"] as? [[String: Any]])
            #expect(data.first?["name"] as? String == "stub")
            #expect(data.first?["circuit"] as? String == "closed")
            #expect(!answer.body.contains("upstream-key-stub"))
        }
    }

    @Test("Keys of users, support and finance staff are refused; a missing key is a 401")
    func rolesBelowAdminRefused() async throws {
        try await RelayHarness.with { h in
            #expect(try await h.request("/admin/api/channels", method: .GET).errorCode == "admin_role_required")
            for (i, role) in [Role.support, .finance].enumerated() {
                let key = try await Self.key(h, role: role, email: "staff\(i)@example.com")
                let answer = try await h.request("/admin/api/channels", method: .GET, key: key)
                #expect(answer.status == 403, "\(role)")
            }
            #expect(try await h.request("/admin/api/channels", method: .GET, key: "").status == 401)
        }
    }

    @Test("An address outside the admin allowlist is refused even with an admin key, and a forged header is ignored")
    func allowlistEnforced() async throws {
        let tune: @Sendable (inout WharfConfig) -> Void = { c in c.adminAllowlist = [IPRange("10.1.2.3/32")!] }
        try await RelayHarness.with(tune: tune) { h in
            let admin = try await Self.key(h, role: .root, email: "root@example.com")
            let direct = try await h.request("/admin/api/channels", method: .GET, key: admin)
            #expect(direct.status == 403)
            #expect(direct.errorCode == "admin_address_not_allowed")
            let forged = try await h.request(
                "/admin/api/channels", method: .GET, key: admin, headers: [("x-forwarded-for", "10.1.2.3")])
            #expect(forged.status == 403)
        }
    }

    @Test("Behind a trusted proxy, the forwarded client address is the one checked")
    func trustedProxyForwarding() async throws {
        let tune: @Sendable (inout WharfConfig) -> Void = { c in
            c.adminAllowlist = [IPRange("10.1.2.3/32")!]
            c.trustedProxies = [IPRange("127.0.0.1/32")!]
        }
        try await RelayHarness.with(tune: tune) { h in
            let admin = try await Self.key(h, role: .admin, email: "root@example.com")
            let allowed = try await h.request(
                "/admin/api/channels", method: .GET, key: admin, headers: [("x-forwarded-for", "203.0.113.9, 10.1.2.3")]
            )
            #expect(allowed.status == 200)
            let other = try await h.request(
                "/admin/api/channels", method: .GET, key: admin, headers: [("x-forwarded-for", "10.1.2.3, 203.0.113.9")]
            )
            #expect(other.status == 403)
        }
    }

    @Test("Disabling a channel through the admin API stops routing to it within 2 seconds")
    func disableChannel() async throws {
        try await RelayHarness.with { h in
            let admin = try await Self.key(h, role: .admin, email: "root@example.com")
            #expect(try await h.request("/admin/api/channels/stub/disable", key: admin).status == 200)
            #expect(try await h.request("/admin/api/channels/nope/disable", key: admin).status == 404)
            #expect(
                try await h.eventually(2) {
                    try await h.request("/v1/chat/completions", body: RelayHarness.chat()).errorCode
                        == "model_not_found"
                })
        }
    }
}

@Suite("Channel health for operators")
struct ChannelHealthPersistenceTests {
    @Test("The health a server measured is stored for `wharf channel list`: requests, failures and circuit state")
    func healthIsStored() async throws {
        // The watcher also saves (and resets) health on its own every few intervals: keep it out of the way.
        let tune: @Sendable (inout WharfConfig) -> Void = { c in c.reloadIntervalMillis = 60_000 }
        try await RelayHarness.with(channels: RelayHarness.brokenThenGood, tune: tune) { h in
            for _ in 0..<2 { _ = try await h.request("/v1/chat/completions", body: RelayHarness.chat()) }
            try await h.services.watcher.saveHealth()
            let stored = try await h.store.channelHealth()
            let ids = Dictionary(uniqueKeysWithValues: try await h.store.channels().map { ($0.name, $0.id) })
            let brokenID = try #require(ids["broken"])
            let goodID = try #require(ids["good"])
            let broken = try #require(stored[brokenID])
            let good = try #require(stored[goodID])
            #expect(broken.requests == 2 && broken.failures == 2)
            #expect(good.requests == 2 && good.failures == 0)
            #expect(broken.state == "closed")
        }
    }
}
