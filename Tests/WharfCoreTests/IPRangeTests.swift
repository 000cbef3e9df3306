import Testing
import WharfCore

@Suite("IP ranges")
struct IPRangeTests {
    @Test(
        "CIDR text parses to its network, masked to the prefix length",
        arguments: [
            ("10.0.0.0/8", "10.0.0.0/8", 8),
            ("192.168.1.77/24", "192.168.1.0/24", 24),
            ("10.9.2.3/13", "10.8.0.0/13", 13),
            ("1.2.3.4", "1.2.3.4/32", 32),
            ("1.2.3.4/32", "1.2.3.4/32", 32),
            ("10.1.2.3/0", "0.0.0.0/0", 0),
            ("255.255.255.255/31", "255.255.255.254/31", 31),
            ("2001:db8::/32", "2001:db8:0:0:0:0:0:0/32", 32),
            ("2001:DB8:0:0:8:800:200C:417A", "2001:db8:0:0:8:800:200c:417a/128", 128),
            ("::1", "0:0:0:0:0:0:0:1/128", 128),
            ("::", "0:0:0:0:0:0:0:0/128", 128),
            ("::/0", "0:0:0:0:0:0:0:0/0", 0),
            ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0/128", 128),
            ("fe80::1%eth0/64", "fe80:0:0:0:0:0:0:0/64", 64),
            ("::ffff:1.2.3.4", "0:0:0:0:0:ffff:102:304/128", 128),
            ("2001:db8:abcd:12ff::/60", "2001:db8:abcd:12f0:0:0:0:0/60", 60),
        ] as [(String, String, Int)]
    )
    func parses(text: String, description: String, prefixLength: Int) throws {
        let range = try #require(IPRange(text))
        #expect(range.description == description)
        #expect(range.prefixLength == prefixLength)
        #expect(range.network.count == (description.contains(":") ? 16 : 4))
    }

    @Test("Two spellings of the same network are the same range")
    func normalisedEquality() {
        #expect(IPRange("10.1.2.3/8") == IPRange("10.0.0.0/8"))
        #expect(IPRange("2001:0db8:0000::/32") == IPRange("2001:db8::/32"))
        #expect(IPRange("10.0.0.0/8") != IPRange("10.0.0.0/9"))
    }

    @Test(
        "Anything that is not an address with an optional prefix length is refused",
        arguments: [
            "", "abc", "10.0.0.0/33", "10.0.0/8", "10.0.0.0.0", "256.0.0.1", "1.2.3.4/", "1.2.3.4/-1", "1.2.3.4/8/8",
            "1..3.4", "1.2.3.1234", "1.2.3.4 ", " 1.2.3.4", "1.2.3.4/x", "2001:db8::/129", "1::2::3", "12345::",
            "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::8", "1:2:3:4:5:6:7", "g::1", ":::1", "::1.2.3", "1.2.3.4:80",
            "1::2:", ":1::2", "/8", "::ffff:1.2.3.256",
        ]
    )
    func refusesInvalid(text: String) {
        #expect(IPRange(text) == nil)
    }

    @Test("A sign is not a digit in an address or a prefix length", arguments: ["+1.2.3.4", "1.2.3.4/+8", "+1::"])
    func refusesSigns(text: String) {
        #expect(IPRange(text) == nil)
    }

    @Test(
        "A range contains exactly the addresses of its network",
        arguments: [
            ("10.0.0.0/8", "10.255.255.255", true),
            ("10.0.0.0/8", "10.0.0.0", true),
            ("10.0.0.0/8", "11.0.0.0", false),
            ("10.0.0.0/8", "9.255.255.255", false),
            ("10.8.0.0/13", "10.15.255.255", true),
            ("10.8.0.0/13", "10.16.0.0", false),
            ("10.8.0.0/13", "10.7.255.255", false),
            ("1.2.3.4", "1.2.3.4", true),
            ("1.2.3.4", "1.2.3.5", false),
            ("0.0.0.0/0", "203.0.113.9", true),
            ("0.0.0.0/0", "::1", false),
            ("2001:db8::/32", "2001:db8:ffff::1", true),
            ("2001:db8::/32", "2001:db9::", false),
            ("2001:db8::/33", "2001:db8:7fff:ffff::1", true),
            ("2001:db8::/33", "2001:db8:8000::", false),
            ("::/0", "1.2.3.4", false),
            ("::/0", "2001:db8::1", true),
            ("::1", "::1", true),
            ("::1", "0:0:0:0:0:0:0:1", true),
            ("::1", "::2", false),
            ("fe80::/10", "fe80::1%eth0", true),
            ("fe80::/10", "febf:ffff::1", true),
            ("fe80::/10", "fec0::1", false),
            ("10.0.0.0/8", "not an ip", false),
            ("10.0.0.0/8", "", false),
            ("10.0.0.0/8", "10.0.0.1/32", false),
        ]
    )
    func contains(range: String, address: String, expected: Bool) throws {
        #expect(try #require(IPRange(range)).contains(address) == expected)
    }

    @Test(
        "An IPv4-mapped IPv6 address matches the IPv4 ranges of its IPv4 address",
        arguments: [
            ("10.0.0.0/8", "::ffff:10.1.2.3", true),
            ("10.0.0.0/8", "::ffff:a01:203", true),
            ("10.0.0.0/8", "0:0:0:0:0:FFFF:0A01:0203", true),
            ("10.0.0.0/8", "::ffff:11.1.2.3", false),
            ("203.0.113.7", "::ffff:203.0.113.7", true),
            ("10.0.0.0/8", "::10.1.2.3", false),  // IPv4-compatible, not mapped
            ("10.0.0.0/8", "64:ff9b::10.1.2.3", false),  // NAT64, not mapped
            ("10.0.0.0/8", "1::ffff:10.1.2.3", false),
        ]
    )
    func ipv4Mapped(range: String, address: String, expected: Bool) throws {
        #expect(try #require(IPRange(range)).contains(address) == expected)
    }

    @Test("Addresses parse to 4 or 16 bytes")
    func parseAddress() {
        #expect(IPRange.parseAddress("192.0.2.1") == [192, 0, 2, 1])
        #expect(IPRange.parseAddress("::1") == Array(repeating: 0, count: 15) + [1])
        #expect(
            IPRange.parseAddress("2001:db8::ff00:42:8329")
                == [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0xff, 0x00, 0x00, 0x42, 0x83, 0x29])
        #expect(IPRange.parseAddress("example.com") == nil)
    }
}
