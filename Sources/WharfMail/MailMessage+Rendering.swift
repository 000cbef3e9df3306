import Foundation

extension MailMessage {
    /// RFC 5322 + MIME bytes with CRLF line endings: `Date`, `From`, `To`, `Subject` (RFC 2047 encoded words
    /// `=?UTF-8?B?...?=` when not plain ASCII), `Message-ID`, `MIME-Version`, then either a `text/plain;
    /// charset=utf-8` body or a `multipart/alternative` with text and HTML parts. Every body is base64 in lines of
    /// 76 characters. Header injection is impossible: control characters in the subject and display names are
    /// replaced by spaces (``MailAddress`` already rejects them), and addresses are validated dot-atoms.
    ///
    /// The bytes are not dot-stuffed; the client does that when it sends them after `DATA`.
    public func rendered() -> [UInt8] {
        var out = ""
        out += "Date: \(MIMEEncoding.rfc5322Date(date))\r\n"
        out += "From: \(MIMEEncoding.mailbox(from))\r\n"
        out += "To: \(MIMEEncoding.mailbox(to))\r\n"
        out += "Subject: \(MIMEEncoding.unstructuredHeaderValue(subject))\r\n"
        out += "Message-ID: <\(MIMEEncoding.messageIDSafe(messageID))>\r\n"
        out += "MIME-Version: 1.0\r\n"
        if let htmlBody {
            let boundary = MIMEEncoding.boundary(seed: messageID + "\(date.timeIntervalSince1970)")
            out += "Content-Type: multipart/alternative; boundary=\"\(boundary)\"\r\n"
            out += "\r\n"
            out += "--\(boundary)\r\n"
            out += Self.part(contentType: "text/plain", body: textBody)
            out += "--\(boundary)\r\n"
            out += Self.part(contentType: "text/html", body: htmlBody)
            out += "--\(boundary)--\r\n"
        } else {
            out += Self.part(contentType: "text/plain", body: textBody)
        }
        return Array(out.utf8)
    }

    /// The `Content-Type` and `Content-Transfer-Encoding` headers, a blank line and the base64 body.
    private static func part(contentType: String, body: String) -> String {
        "Content-Type: \(contentType); charset=utf-8\r\n"
            + "Content-Transfer-Encoding: base64\r\n"
            + "\r\n"
            + MIMEEncoding.base64Lines(Array(MIMEEncoding.normalizingLineEndings(body).utf8))
    }
}
