import Testing

@testable import WharfMail

@Suite("SMTP reply parser")
struct SMTPReplyParserTests {
    static func replies(_ text: String, splitEvery chunk: Int = .max) throws -> [SMTPReply] {
        var parser = SMTPReplyParser()
        var replies: [SMTPReply] = []
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            let end = min(index + chunk, bytes.count)
            parser.feed(bytes[index..<end])
            while let reply = try parser.nextReply() { replies.append(reply) }
            index = end
        }
        return replies
    }

    @Test("A single-line reply is parsed into its code and text")
    func singleLine() throws {
        #expect(
            try Self.replies("220 mail.example.com ESMTP ready\r\n") == [
                SMTPReply(code: 220, lines: ["mail.example.com ESMTP ready"])
            ])
    }

    @Test("A multi-line EHLO reply is one reply, whatever the byte split")
    func multiLineAnySplit() throws {
        let text = "250-mail.example.com greets you\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n"
        let expected = [
            SMTPReply(code: 250, lines: ["mail.example.com greets you", "PIPELINING", "STARTTLS", "AUTH PLAIN LOGIN"])
        ]
        for chunk in 1...text.utf8.count { #expect(try Self.replies(text, splitEvery: chunk) == expected) }
    }

    @Test("Two replies in one read are returned one after the other; a partial line waits for more bytes")
    func pipelinedReplies() throws {
        var parser = SMTPReplyParser()
        parser.feed(Array("250 OK\r\n354 go ahead\r\n250 par".utf8))
        #expect(try parser.nextReply()?.code == 250)
        #expect(try parser.nextReply()?.code == 354)
        #expect(try parser.nextReply() == nil)
        #expect(!parser.isEmpty)
        parser.feed(Array("tial\r\n".utf8))
        #expect(try parser.nextReply() == SMTPReply(code: 250, lines: ["partial"]))
        #expect(parser.isEmpty)
    }

    @Test("A bare code and a bare LF line ending are accepted")
    func lenientForms() throws {
        #expect(try Self.replies("250\n") == [SMTPReply(code: 250, lines: [""])])
    }

    @Test(
        "Malformed lines, mixed codes and endless lines are protocol errors",
        arguments: [
            "hello\r\n", "25 OK\r\n", "250_OK\r\n", "999 OK\r\n", "250-first\r\n251 second\r\n",
            String(repeating: "x", count: 5000),
        ])
    func malformed(text: String) {
        #expect(throws: SMTPReplyParser.ParseError.self) { try Self.replies(text) }
    }

    @Test("The enhanced status code is read from the first line when present")
    func enhancedStatus() {
        #expect(SMTPReply(code: 535, lines: ["5.7.8 Authentication credentials invalid"]).enhancedStatus == "5.7.8")
        #expect(SMTPReply(code: 250, lines: ["OK"]).enhancedStatus == nil)
        #expect(SMTPReply(code: 250, lines: ["1.2.3.4 is your address"]).enhancedStatus == nil)
    }

    @Test("EHLO capabilities: keywords upper-cased, AUTH mechanisms from both AUTH forms, greeting line skipped")
    func capabilities() throws {
        let text =
            "250-mx.example.com Hello STARTTLS\r\n250-pipelining\r\n250-AUTH=LOGIN\r\n250-auth plain xoauth2\r\n250-SIZE 35882577\r\n250 starttls\r\n"
        let capabilities = SMTPCapabilities(ehloReply: try #require(try Self.replies(text).first))
        #expect(capabilities.keywords == ["PIPELINING", "AUTH", "SIZE", "STARTTLS"])
        #expect(capabilities.authMechanisms == ["LOGIN", "PLAIN", "XOAUTH2"])
        #expect(capabilities.supportsStartTLS)
    }

    @Test("STARTTLS in the greeting line alone does not count as offered")
    func startTLSOnlyInGreeting() throws {
        let capabilities = SMTPCapabilities(ehloReply: SMTPReply(code: 250, lines: ["STARTTLS", "PIPELINING"]))
        #expect(!capabilities.supportsStartTLS)
    }
}
