import Testing
import WharfCore

@Suite("Effective client address")
struct EffectiveClientAddressTests {
    static let proxies = [IPRange("10.0.0.0/8")!]

    @Test(
        "Forwarded headers count only from trusted proxies, read from the right, skipping other trusted hops",
        arguments: [
            ("203.0.113.5", "198.51.100.1", [IPRange](), "203.0.113.5"),
            ("203.0.113.5", "198.51.100.1", proxies, "203.0.113.5"),
            ("10.0.0.2", "198.51.100.1", proxies, "198.51.100.1"),
            ("10.0.0.2", "1.1.1.1, 198.51.100.1", proxies, "198.51.100.1"),
            ("10.0.0.2", "198.51.100.1, 10.9.9.9", proxies, "198.51.100.1"),
            ("10.0.0.2", "198.51.100.1,203.0.113.9", proxies, "203.0.113.9"),
            ("10.0.0.2", "10.1.1.1, 10.2.2.2", proxies, "10.1.1.1"),
        ] as [(String, String, [IPRange], String)])
    func effective(peer: String, forwarded: String, trusted: [IPRange], expected: String) {
        #expect(ClientAddress.effective(peer: peer, forwardedFor: forwarded, trustedProxies: trusted) == expected)
    }

    @Test(
        "Behind a trusted proxy, an entry that is not an address, or an empty header, gives no address (never the proxy's)",
        arguments: [
            "not-an-ip", "unknown", "203.0.113.5:4711", "[2001:db8::5]:443", "", " ", "198.51.100.1, unknown",
            "198.51.100.1,,10.1.1.1",
        ]
    )
    func failsClosed(forwarded: String) {
        #expect(ClientAddress.effective(peer: "10.0.0.2", forwardedFor: forwarded, trustedProxies: Self.proxies) == nil)
    }

    @Test(
        "Without a forwarded header a trusted proxy's request has no address (not the proxy's); anyone else's is the peer"
    )
    func noHeader() {
        #expect(ClientAddress.effective(peer: "10.0.0.2", forwardedFor: nil, trustedProxies: Self.proxies) == nil)
        #expect(
            ClientAddress.effective(peer: "203.0.113.5", forwardedFor: nil, trustedProxies: Self.proxies)
                == "203.0.113.5")
    }
}
