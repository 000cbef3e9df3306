import Testing
import WharfCore

@Suite("Client address storage")
struct ClientAddressTests {
    @Test(
        "A client address is kept whole, truncated to its network, or not at all",
        arguments: [
            ("203.0.113.77", "full", "203.0.113.77"),
            ("203.0.113.77", "truncated", "203.0.113.0/24"),
            ("203.0.113.77", "none", nil),
            ("2001:db8:1234:5678:9abc::1", "full", "2001:db8:1234:5678:9abc::1"),
            ("2001:db8:1234:5678:9abc::1", "truncated", "2001:db8:1234:0:0:0:0:0/48"),
            ("2001:db8:1234:5678:9abc::1", "none", nil),
            ("fe80::1%eth0", "truncated", "fe80:0:0:0:0:0:0:0/48"),
            ("not-an-ip", "truncated", nil),
            ("", "truncated", nil),
            (nil, "full", nil),
            (nil, "truncated", nil),
            (nil, "none", nil),
        ] as [(String?, String, String?)]
    )
    func stored(address: String?, mode: String, expected: String?) {
        #expect(ClientAddress.stored(address, mode: mode) == expected)
    }

    @Test(
        "Truncation never keeps the host part of an address", arguments: ["10.20.30.40", "10.20.30.41", "10.20.30.255"])
    func truncationDropsHost(address: String) {
        #expect(ClientAddress.stored(address, mode: "truncated") == "10.20.30.0/24")
    }

    @Test("An IPv4 client seen through a dual-stack socket is truncated like an IPv4 client")
    func mappedIPv4() {
        #expect(ClientAddress.stored("::ffff:203.0.113.77", mode: "truncated") == "203.0.113.0/24")
    }
}
