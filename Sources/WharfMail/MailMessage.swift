import Foundation

/// One mail to one recipient: a plain-text body and an optional HTML alternative.
///
/// Build it with the memberwise values; ``rendered()`` turns it into the bytes sent after `DATA`.
public struct MailMessage: Sendable {
    /// The sender, used for the `From` header and `MAIL FROM`.
    public var from: MailAddress
    /// The single recipient, used for the `To` header and `RCPT TO`.
    public var to: MailAddress
    /// The subject line. CR, LF and other control characters are replaced by spaces when rendered.
    public var subject: String
    /// The plain-text body (any line endings; sent as CRLF).
    public var textBody: String
    /// An HTML alternative; when present the mail is `multipart/alternative`.
    public var htmlBody: String?
    /// The Message-ID without angle brackets, e.g. `3F2A...@example.com`.
    public var messageID: String
    /// The `Date` header value.
    public var date: Date

    /// Creates a message.
    /// - Parameters:
    ///   - messageID: defaults to a random UUID at the sender's domain.
    ///   - date: defaults to now.
    public init(
        from: MailAddress,
        to: MailAddress,
        subject: String,
        textBody: String,
        htmlBody: String? = nil,
        messageID: String? = nil,
        date: Date = Date()
    ) {
        self.from = from
        self.to = to
        self.subject = subject
        self.textBody = textBody
        self.htmlBody = htmlBody
        self.messageID = messageID ?? "\(UUID().uuidString.lowercased())@\(from.domain)"
        self.date = date
    }
}

extension MailMessage: CustomStringConvertible {
    /// Names the sender and recipient; subject and bodies print as `[REDACTED len=N]`.
    public var description: String {
        "MailMessage(from: \(from.address), to: \(to.address), subject: [REDACTED len=\(subject.utf8.count)], "
            + "body: [REDACTED len=\(textBody.utf8.count + (htmlBody?.utf8.count ?? 0))])"
    }
}
