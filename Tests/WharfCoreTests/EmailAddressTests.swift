import Testing
import WharfCore

@Suite("Email addresses")
struct EmailAddressTests {
    @Test(
        "Plausible addresses are accepted, trimmed, and normalised to lower case",
        arguments: [
            ("a@b.co", "a@b.co", "a@b.co"),
            ("first.last+tag@sub.example.com", "first.last+tag@sub.example.com", "first.last+tag@sub.example.com"),
            ("User@Example.COM", "User@Example.COM", "user@example.com"),
            ("  padded@example.org \n", "padded@example.org", "padded@example.org"),
            ("o'neil_x-y@example.co.uk", "o'neil_x-y@example.co.uk", "o'neil_x-y@example.co.uk"),
        ]
    )
    func valid(text: String, value: String, normalized: String) throws {
        let email = try #require(EmailAddress(text))
        #expect(email.value == value)
        #expect(email.normalized == normalized)
        #expect(email.description == value)
    }

    @Test(
        "Implausible addresses are refused",
        arguments: [
            "", "   ", "plain", "@example.com", "user@", "user@localhost", "user@.example.com", "user@example.com.",
            "us er@example.com", "user@exa mple.com", "us\ter@example.com", "a@b@c.com", "<user@example.com>",
            "user@example.com>", "\"user\"@example.com", "üser@example.com", "user@exämple.com", "user@.",
        ]
    )
    func invalid(text: String) {
        #expect(EmailAddress(text) == nil)
    }

    @Test("An address may be 254 bytes long, not 255")
    func lengthLimit() {
        let domain = "@example.com"
        #expect(EmailAddress(String(repeating: "a", count: 254 - domain.count) + domain) != nil)
        #expect(EmailAddress(String(repeating: "a", count: 255 - domain.count) + domain) == nil)
    }

    @Test("Addresses that differ only in case are the same address")
    func caseInsensitiveComparison() throws {
        let upper = try #require(EmailAddress("User@Example.com"))
        let lower = try #require(EmailAddress("user@example.com"))
        #expect(upper.normalized == lower.normalized)
        #expect(upper == lower)
    }
}
