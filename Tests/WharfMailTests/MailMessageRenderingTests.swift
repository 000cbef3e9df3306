import Foundation
import Testing

@testable import WharfMail

@Suite("Message rendering")
struct MailMessageRenderingTests {
    static let date = Date(timeIntervalSince1970: 1_751_371_200)  // Tue, 01 Jul 2025 12:00:00 +0000

    static func message(subject: String = "Hello", text: String = "Hi there", html: String? = nil) throws -> MailMessage
    {
        MailMessage(
            from: try MailAddress("noreply@wharf.example", displayName: "Wharf"),
            to: try MailAddress("user@example.com"),
            subject: subject,
            textBody: text,
            htmlBody: html,
            messageID: "abc123@wharf.example",
            date: date
        )
    }

    static func text(_ message: MailMessage) -> String { String(decoding: message.rendered(), as: UTF8.self) }

    /// The header block (up to the first blank line), unfolded.
    static func headers(_ rendered: String) -> [String] {
        let head = rendered.components(separatedBy: "\r\n\r\n")[0]
        return head.replacingOccurrences(of: "\r\n ", with: " ").components(separatedBy: "\r\n")
    }

    static func decodeEncodedWords(_ value: String) -> String {
        value.split(separator: " ").compactMap { word -> String? in
            guard word.hasPrefix("=?UTF-8?B?"), word.hasSuffix("?=") else { return nil }
            let payload = word.dropFirst(10).dropLast(2)
            return Data(base64Encoded: String(payload)).map { String(decoding: $0, as: UTF8.self) }
        }.joined()
    }

    @Test("An ASCII mail has the required headers in order, CRLF line endings and a base64 text body")
    func asciiMail() throws {
        let rendered = Self.text(try Self.message())
        #expect(
            Self.headers(rendered) == [
                "Date: Tue, 01 Jul 2025 12:00:00 +0000",
                "From: \"Wharf\" <noreply@wharf.example>",
                "To: <user@example.com>",
                "Subject: Hello",
                "Message-ID: <abc123@wharf.example>",
                "MIME-Version: 1.0",
                "Content-Type: text/plain; charset=utf-8",
                "Content-Transfer-Encoding: base64",
            ]
        )
        #expect(rendered.hasSuffix("\r\n\r\n" + Data("Hi there".utf8).base64EncodedString() + "\r\n"))
        #expect(!rendered.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        #expect(!rendered.replacingOccurrences(of: "\r\n", with: "").contains("\r"))
    }

    @Test("A subject in Chinese is sent as a UTF-8 encoded word")
    func chineseSubject() throws {
        let subject = "您的账户余额不足"
        let rendered = Self.text(try Self.message(subject: subject))
        let line = try #require(Self.headers(rendered).first { $0.hasPrefix("Subject: ") })
        #expect(line.hasPrefix("Subject: =?UTF-8?B?"))
        #expect(Self.decodeEncodedWords(String(line.dropFirst(9))) == subject)
    }

    @Test(
        "A long non-ASCII subject is folded into encoded words of at most 75 characters without splitting a character")
    func longSubjectFolded() throws {
        let subject = String(repeating: "余额ü€😀", count: 30)
        let rendered = Self.text(try Self.message(subject: subject))
        let head = rendered.components(separatedBy: "\r\n\r\n")[0]
        for line in head.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 78) }
        let words = head.components(separatedBy: "\r\n").filter { $0.contains("=?UTF-8?B?") }
        #expect(words.count > 1)
        for word in words {
            let trimmed = word.replacingOccurrences(of: "Subject: ", with: "").trimmingCharacters(in: .whitespaces)
            #expect(trimmed.utf8.count <= 75)
            #expect(!Self.decodeEncodedWords(trimmed).contains("\u{FFFD}"))
        }
        let line = try #require(Self.headers(rendered).first { $0.hasPrefix("Subject: ") })
        #expect(Self.decodeEncodedWords(String(line.dropFirst(9))) == subject)
    }

    @Test("A header injection attempt in the subject cannot start a new header")
    func subjectInjection() throws {
        let rendered = Self.text(try Self.message(subject: "Hi\r\nBcc: victim@example.com\r\n\r\nfake body"))
        let headers = Self.headers(rendered)
        #expect(!headers.contains { $0.hasPrefix("Bcc:") })
        #expect(headers.filter { $0.hasPrefix("Subject:") }.count == 1)
        #expect(headers.count == 8)
    }

    @Test("A display name with quotes is quoted and escaped, a non-ASCII one is encoded")
    func displayNames() throws {
        let quoted = try MailAddress("a@example.com", displayName: "Ops \"Night\" Shift")
        #expect(MIMEEncoding.mailbox(quoted) == "\"Ops \\\"Night\\\" Shift\" <a@example.com>")
        let chinese = try MailAddress("a@example.com", displayName: "运维")
        let mailbox = MIMEEncoding.mailbox(chinese)
        #expect(mailbox.hasPrefix("=?UTF-8?B?"))
        #expect(mailbox.hasSuffix(" <a@example.com>"))
    }

    @Test("Base64 body lines are at most 76 characters and decode to the CRLF-normalized text")
    func base64LineLength() throws {
        let body = String(repeating: "The quick brown fox jumps over the lazy dog.\n", count: 40) + "余额\rend"
        let rendered = Self.text(try Self.message(text: body))
        let bodyPart = rendered.components(separatedBy: "\r\n\r\n")[1]
        let lines = bodyPart.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(lines.count > 10)
        #expect(lines.allSatisfy { $0.count <= 76 })
        #expect(lines.dropLast().allSatisfy { $0.count == 76 })
        let decoded = try #require(Data(base64Encoded: lines.joined()))
        let expected = String(repeating: "The quick brown fox jumps over the lazy dog.\r\n", count: 40) + "余额\r\nend"
        #expect(String(decoding: decoded, as: UTF8.self) == expected)
    }

    @Test("With an HTML body the mail is multipart/alternative with a text part then an HTML part")
    func multipart() throws {
        let rendered = Self.text(try Self.message(text: "plain", html: "<p>rich</p>"))
        let headers = Self.headers(rendered)
        let contentType = try #require(headers.first { $0.hasPrefix("Content-Type: ") })
        #expect(contentType.hasPrefix("Content-Type: multipart/alternative; boundary=\""))
        let boundary = try #require(contentType.split(separator: "\"").dropFirst().first.map(String.init))
        let parts = rendered.components(separatedBy: "--\(boundary)")
        #expect(parts.count == 4)  // preamble, text, html, closing "--"
        #expect(parts[1].contains("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64"))
        #expect(parts[1].contains(Data("plain".utf8).base64EncodedString()))
        #expect(parts[2].contains("Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64"))
        #expect(parts[2].contains(Data("<p>rich</p>".utf8).base64EncodedString()))
        #expect(parts[3] == "--\r\n")
    }

    @Test("Rendering is deterministic for the same message")
    func deterministic() throws {
        let message = try Self.message(html: "<b>x</b>")
        #expect(message.rendered() == message.rendered())
    }

    @Test("A message prints without its subject or body")
    func redactedDescription() throws {
        let description = "\(try Self.message(subject: "secret subject", text: "secret body"))"
        #expect(!description.contains("secret"))
        #expect(description.contains("[REDACTED len="))
    }
}
