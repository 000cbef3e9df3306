import Testing
import WharfCore

/// Issue 11, finding 12: where a channel's base URL may point.
@Suite("Upstream address policy")
struct UpstreamAddressPolicyTests {
    static let defaults = UpstreamAddressPolicy()

    @Test(
        "Metadata, link-local, reserved and IPv4-wrapping addresses are refused whatever the settings",
        arguments: [
            "169.254.169.254", "169.254.0.1", "fe80::1", "100.100.100.200", "fd00:ec2::254", "168.63.129.16",
            "::ffff:169.254.169.254", "[::ffff:a9fe:a9fe]", "::a9fe:a9fe", "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::1",
            "0.0.0.0", "::", "224.0.0.1", "255.255.255.255", "ff02::1",
        ])
    func alwaysRefused(address: String) {
        let open = UpstreamAddressPolicy(allowPrivate: true, allowLoopback: true)
        #expect(open.refusal(address: address) != nil, "\(address)")
        #expect(open.refusal(host: address.hasPrefix("[") || !address.contains(":") ? address : "[\(address)]") != nil)
    }

    @Test("Private ranges need upstream_allow_private; loopback is allowed unless upstream_allow_loopback is off")
    func settings() {
        for address in ["10.0.0.5", "172.16.3.4", "192.168.1.1", "100.64.0.1", "fd12::1"] {
            #expect(Self.defaults.refusal(address: address) == .privateNetwork, "\(address)")
            #expect(UpstreamAddressPolicy(allowPrivate: true).refusal(address: address) == nil)
        }
        for address in ["127.0.0.1", "::1", "::ffff:127.0.0.1"] {
            #expect(Self.defaults.refusal(address: address) == nil, "\(address)")
            #expect(UpstreamAddressPolicy(allowLoopback: false).refusal(address: address) == .loopback)
        }
        #expect(Self.defaults.refusal(host: "localhost") == nil)
        #expect(UpstreamAddressPolicy(allowLoopback: false).refusal(host: "localhost") == .loopback)
        for address in ["8.8.8.8", "2606:4700::1111"] { #expect(Self.defaults.refusal(address: address) == nil) }
    }

    @Test(
        "Host names of the metadata service and numeric spellings of addresses are refused before any lookup",
        arguments: [
            "metadata.google.internal", "METADATA.google.internal.", "2852039166", "0xA9FEA9FE", "0251.0376.0251.0376",
            "169.254.43518",
        ]
    )
    func hosts(host: String) {
        #expect(Self.defaults.refusal(host: host) != nil, "\(host)")
    }

    @Test("Ordinary host names pass the check before lookup (their addresses are checked after it)")
    func ordinaryHosts() {
        for host in ["api.openai.com", "api.anthropic.com", "ed25.be", "deadbeef.cafe", "127-0-0-1.example"] {
            #expect(Self.defaults.refusal(host: host) == nil, "\(host)")
        }
    }
}
