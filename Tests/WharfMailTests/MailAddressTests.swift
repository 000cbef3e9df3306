import Testing

@testable import WharfMail

@Suite("Mail addresses")
struct MailAddressTests {
    @Test("A plain address with a display name is accepted")
    func plainAddressAccepted() throws {
        let address = try MailAddress("ops+alerts@mail.example.com", displayName: "Wharf Ops")
        #expect(address.address == "ops+alerts@mail.example.com")
        #expect(address.displayName == "Wharf Ops")
        #expect(address.domain == "mail.example.com")
    }

    @Test(
        "An address that could break an SMTP command or a header is rejected",
        arguments: [
            "no-at-sign", "two@@example.com", "a@b@example.com", "with space@example.com", "<ops@example.com>",
            "ops@example.com>\r\nRCPT TO:<evil@example.com", "ops@exa\nmple.com", "@example.com", "ops@",
            ".ops@example.com", "ops@example.com.", "ops@[127.0.0.1]", "jörg@example.com",
        ]
    )
    func unsafeAddressRejected(address: String) {
        #expect(throws: MailError.self) { try MailAddress(address) }
    }

    @Test("A display name carrying a header injection attempt is rejected")
    func displayNameInjectionRejected() {
        #expect(throws: MailError.self) {
            try MailAddress("ops@example.com", displayName: "Ops\r\nBcc: evil@example.com")
        }
        #expect(throws: MailError.self) { try MailAddress("ops@example.com", displayName: "Ops\nX: y") }
    }

    @Test("The error description does not repeat the rejected value")
    func errorDescriptionIsSafe() {
        do {
            _ = try MailAddress("evil\r\n@example.com")
            Issue.record("expected an error")
        } catch {
            #expect(!error.description.contains("evil"))
        }
    }
}
