/// What a server announced in its `EHLO` reply (RFC 5321 §4.1.1.1): one keyword per line after the first.
struct SMTPCapabilities: Sendable, Hashable {
    /// The upper-cased extension keywords, e.g. `STARTTLS`, `PIPELINING`, `AUTH`.
    var keywords: Set<String> = []
    /// The upper-cased SASL mechanisms after `AUTH` (or the old `AUTH=` form), e.g. `PLAIN`, `LOGIN`.
    var authMechanisms: Set<String> = []

    /// No extensions (after a `HELO` fallback).
    init() {}

    /// Reads the capabilities from a 250 reply to `EHLO`; the first line (the server's greeting) is skipped.
    init(ehloReply reply: SMTPReply) {
        for line in reply.lines.dropFirst() {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { $0.uppercased() }
            guard let first = words.first else { continue }
            if first == "AUTH" {
                keywords.insert("AUTH")
                authMechanisms.formUnion(words.dropFirst())
            } else if first.hasPrefix("AUTH=") {
                keywords.insert("AUTH")
                authMechanisms.insert(String(first.dropFirst(5)))
                authMechanisms.formUnion(words.dropFirst())
            } else {
                keywords.insert(first)
            }
        }
    }

    /// The server offers `STARTTLS`.
    var supportsStartTLS: Bool { keywords.contains("STARTTLS") }
}
