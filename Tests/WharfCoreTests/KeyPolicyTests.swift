import Testing
import WharfCore

@Suite("Key policy")
struct KeyPolicyTests {
    @Test(
        "A key expires at its expiry instant, not before",
        arguments: [
            (nil, 0, false), (nil, Int64.max, false), (1_000, 999, false), (1_000, 1_000, true), (1_000, 1_001, true),
        ] as [(Int64?, Int64, Bool)]
    )
    func expiry(expiresAt: Int64?, now: Int64, expired: Bool) {
        #expect(KeyPolicy(expiresAtMillis: expiresAt).isExpired(nowMillis: now) == expired)
    }

    @Test("An empty model list allows every model; otherwise only the listed ones, exactly")
    func models() {
        let open = KeyPolicy()
        #expect(open.allows(model: "gpt-4o"))
        #expect(open.allows(model: ""))
        let limited = KeyPolicy(allowedModels: ["gpt-4o", "claude-3-5-sonnet"])
        #expect(limited.allows(model: "gpt-4o"))
        #expect(limited.allows(model: "claude-3-5-sonnet"))
        #expect(!limited.allows(model: "gpt-4o-mini"))
        #expect(!limited.allows(model: "GPT-4O"))
        #expect(!limited.allows(model: ""))
    }

    @Test("An empty address list allows any client, even an unknown one")
    func anyAddress() {
        #expect(KeyPolicy().allows(address: "203.0.113.9"))
        #expect(KeyPolicy().allows(address: nil))
    }

    @Test(
        "An address list allows only clients inside one of its ranges",
        arguments: [
            ("10.1.2.3", true), ("192.168.0.77", true), ("2001:db8::5", true), ("::ffff:10.9.9.9", true),
            ("11.0.0.1", false), ("192.168.1.1", false), ("2001:db9::1", false), ("garbage", false),
        ]
    )
    func addressList(address: String, allowed: Bool) throws {
        let ranges = try ["10.0.0.0/8", "192.168.0.0/24", "2001:db8::/32"].map { try #require(IPRange($0)) }
        #expect(KeyPolicy(allowedIPs: ranges).allows(address: address) == allowed)
    }

    @Test("A key limited to addresses refuses a client whose address is unknown")
    func unknownAddressRefused() throws {
        let policy = KeyPolicy(allowedIPs: [try #require(IPRange("0.0.0.0/0"))])
        #expect(!policy.allows(address: nil))
    }

    @Test(
        "The remaining spend is the limit minus the spend, never below zero",
        arguments: [
            (nil, 5, nil), (10_000_000, 3_000_000, 7_000_000), (10_000_000, 10_000_000, 0), (10_000_000, 12_000_000, 0),
            (0, 0, 0), (5, -5, 10),
        ] as [(Int64?, Int64, Int64?)]
    )
    func remaining(limit: Int64?, spent: Int64, remaining: Int64?) {
        let policy = KeyPolicy(spendLimit: limit.map { Money(micros: $0) })
        #expect(policy.remaining(spent: Money(micros: spent)) == remaining.map { Money(micros: $0) })
    }
}
