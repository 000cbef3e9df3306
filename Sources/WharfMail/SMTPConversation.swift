import Foundation
import NIOSSL

/// The client side of one mail transaction (RFC 5321), as a straight sequence of commands: greeting, `EHLO`
/// (falling back to `HELO`), `STARTTLS` and a second `EHLO`, `AUTH`, `MAIL FROM`, `RCPT TO`, `DATA`, `QUIT`.
struct SMTPConversation {
    var connection: SMTPConnection
    let settings: SMTPSettings
    let tlsContext: NIOSSLContext?

    /// Delivers `message`; calls `delivered` as soon as the server accepted the data (before `QUIT`).
    mutating func run(_ message: MailMessage, delivered: () -> Void) async throws(SMTPError) {
        if settings.security == .tls { try await connection.awaitTLSHandshake(verb: "greeting") }
        try expect(220, try await connection.readReply(verb: "greeting"), verb: "greeting")
        var capabilities = try await hello()

        if settings.security == .startTLS {
            guard capabilities.supportsStartTLS else {
                throw SMTPError(.tls, command: "EHLO", detail: "server does not offer STARTTLS, which is required")
            }
            guard let tlsContext else { throw SMTPError(.tls, command: "STARTTLS", detail: "no TLS context") }
            try expect(220, try await connection.command("STARTTLS", verb: "STARTTLS"), verb: "STARTTLS")
            try await connection.startTLS(
                context: tlsContext, serverHostname: SMTPTLS.serverHostname(for: settings.host))
            capabilities = try await hello()
        }

        if let username = settings.username {
            try await authenticate(username: username, password: settings.password ?? "", capabilities: capabilities)
        }

        try expect(
            250, try await connection.command("MAIL FROM:<\(message.from.address)>", verb: "MAIL FROM"),
            verb: "MAIL FROM")
        let rcpt = try await connection.command("RCPT TO:<\(message.to.address)>", verb: "RCPT TO")
        try expect(rcpt.code == 251 ? 251 : 250, rcpt, verb: "RCPT TO")
        try expect(354, try await connection.command("DATA", verb: "DATA"), verb: "DATA")
        try await connection.write(SMTPDataEncoder.encode(message.rendered()), verb: "DATA")
        try expect(250, try await connection.readReply(verb: "end of data"), verb: "end of data")
        delivered()

        // The mail is accepted; a failing QUIT must not turn that into an error.
        _ = try? await connection.command("QUIT", verb: "QUIT")
    }

    /// `EHLO`, or `HELO` when the server does not know `EHLO` (5xx); returns the announced extensions.
    private mutating func hello() async throws(SMTPError) -> SMTPCapabilities {
        let reply = try await connection.command("EHLO \(settings.heloName)", verb: "EHLO")
        if reply.code == 250 { return SMTPCapabilities(ehloReply: reply) }
        guard reply.code >= 500 else { throw unexpected(reply, verb: "EHLO") }
        try expect(250, try await connection.command("HELO \(settings.heloName)", verb: "HELO"), verb: "HELO")
        return SMTPCapabilities()
    }

    /// `AUTH PLAIN` (preferred) or `AUTH LOGIN`; refuses to send credentials in clear to a non-loopback host.
    private mutating func authenticate(
        username: String,
        password: String,
        capabilities: SMTPCapabilities
    ) async throws(SMTPError) {
        guard Self.mayAuthenticate(overTLS: connection.isTLS, host: settings.host) else {
            throw SMTPError(.insecureAuthRefused, command: "AUTH")
        }
        if capabilities.authMechanisms.contains("PLAIN") {
            let token = Self.base64(Array("\0\(username)\0\(password)".utf8))
            try expectAuth(
                235, try await connection.command("AUTH PLAIN \(token)", verb: "AUTH PLAIN"), verb: "AUTH PLAIN")
        } else if capabilities.authMechanisms.contains("LOGIN") {
            try expectAuth(334, try await connection.command("AUTH LOGIN", verb: "AUTH LOGIN"), verb: "AUTH LOGIN")
            let user = Self.base64(Array(username.utf8))
            try expectAuth(334, try await connection.command(user, verb: "AUTH LOGIN username"), verb: "AUTH LOGIN")
            let pass = Self.base64(Array(password.utf8))
            try expectAuth(235, try await connection.command(pass, verb: "AUTH LOGIN password"), verb: "AUTH LOGIN")
        } else {
            throw SMTPError(
                .authUnavailable, command: "EHLO", detail: "server offers neither AUTH PLAIN nor AUTH LOGIN")
        }
    }

    /// Credentials go only over TLS, or in clear to a loopback host (a local relay).
    static func mayAuthenticate(overTLS: Bool, host: String) -> Bool {
        overTLS || SMTPTLS.isLoopback(host)
    }

    private func expect(_ code: Int, _ reply: SMTPReply, verb: String) throws(SMTPError) {
        guard reply.code == code else { throw unexpected(reply, verb: verb) }
    }

    private func expectAuth(_ code: Int, _ reply: SMTPReply, verb: String) throws(SMTPError) {
        guard reply.code == code else {
            if reply.code >= 400 {
                throw SMTPError(.authFailed(code: reply.code), command: verb, enhancedStatus: reply.enhancedStatus)
            }
            throw unexpected(reply, verb: verb)
        }
    }

    private func unexpected(_ reply: SMTPReply, verb: String) -> SMTPError {
        if reply.code >= 400 {
            return SMTPError(.rejected(code: reply.code), command: verb, enhancedStatus: reply.enhancedStatus)
        }
        return SMTPError(.protocolError, command: verb, detail: "unexpected reply code \(reply.code)")
    }

    private static func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
}
