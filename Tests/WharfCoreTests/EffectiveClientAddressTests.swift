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
            ("10.0.0.2", "not-an-ip", proxies, "10.0.0.2"),
            ("10.0.0.2", "10.1.1.1, 10.2.2.2", proxies, "10.1.1.1"),
        ] as [(String, String, [IPRange], String)])
    func effective(peer: String, forwarded: String, trusted: [IPRange], expected: String) {
        #expect(ClientAddress.effective(peer: peer, forwardedFor: forwarded, trustedProxies: trusted) == expected)
    }

    @Test("Without a forwarded header the peer is the client")
    func noHeader() {
        #expect(
            ClientAddress.effective(peer: "10.0.0.2", forwardedFor: nil, trustedProxies: Self.proxies) == "10.0.0.2")
    }
}
