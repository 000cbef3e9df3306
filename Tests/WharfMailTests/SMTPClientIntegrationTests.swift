import Foundation
import Logging
import Testing
import WharfTestSupport

@testable import WharfMail

/// The client against ``FakeSMTPServer`` on loopback: real sockets, real TLS.
@Suite("SMTP client against a loopback server")
struct SMTPClientIntegrationTests {
    static let password = "s3cret-Pa55"

    static func message() throws -> MailMessage {
        MailMessage(
            from: try MailAddress("noreply@wharf.example", displayName: "Wharf"),
            to: try MailAddress("user@example.com"),
            subject: "余额提醒",
            textBody: "Hello\n.\n.leading dot\nbye",
            htmlBody: "<p>Hello</p>",
            messageID: "integration@wharf.example"
        )
    }

    static func client(
        port: Int,
        host: String = "127.0.0.1",
        security: SMTPSecurity = .none,
        username: String? = nil,
        caFile: String? = nil,
        timeoutMillis: Int64 = 5_000
    ) -> SMTPClient {
        SMTPClient(
            settings: SMTPSettings(
                host: host,
                port: port,
                security: security,
                username: username,
                password: username == nil ? nil : password,
                heloName: "client.test",
                timeoutMillis: timeoutMillis,
                caCertificatePEMPath: caFile
            ),
            logger: Logger(label: "wharf.mail.test")
        )
    }

    static func neverSawPassword(_ received: FakeSMTPServer.Received) -> Bool {
        let bytes = String(decoding: received.allBytes, as: UTF8.self)
        let plain = Data("\0user\0\(password)".utf8).base64EncodedString()
        let login = Data(password.utf8).base64EncodedString()
        return !bytes.contains(password) && !bytes.contains(plain) && !bytes.contains(login)
            && !received.commands.contains { $0.line.uppercased().hasPrefix("AUTH") }
    }

    @Test("Plain delivery to loopback sends the whole conversation and the exact rendered message")
    func plainDelivery() async throws {
        let server = try await FakeSMTPServer.start(.init())
        let message = try Self.message()
        try await Self.client(port: server.port).send(message)
        let received = server.received
        #expect(
            received.commands.map(\.line) == [
                "EHLO client.test", "MAIL FROM:<noreply@wharf.example>", "RCPT TO:<user@example.com>", "DATA", "QUIT",
            ]
        )
        #expect(received.messages == [message.rendered()])
        #expect(received.rawMessages.first?.suffix(5) == Array("\r\n.\r\n".utf8))
        try await server.stop()
    }

    @Test("A server that does not know EHLO gets HELO")
    func heloFallback() async throws {
        let server = try await FakeSMTPServer.start(.init(rejectsEHLO: true))
        try await Self.client(port: server.port).send(try Self.message())
        #expect(server.received.commands.map(\.line).prefix(2) == ["EHLO client.test", "HELO client.test"])
        #expect(server.received.messages.count == 1)
        try await server.stop()
    }

    @Test("STARTTLS then AUTH PLAIN: credentials and mail travel only over TLS, verified against the extra CA")
    func startTLSAndAuthPlain() async throws {
        let certificates = try TestCertificates.make()
        let caFile = try certificates.writeCAFile()
        defer { try? FileManager.default.removeItem(atPath: caFile) }
        let server = try await FakeSMTPServer.start(
            .init(offersStartTLS: true, tls: certificates.serverContext, authMechanisms: ["LOGIN", "PLAIN"])
        )
        let message = try Self.message()
        try await Self.client(
            port: server.port, host: "localhost", security: .startTLS, username: "user", caFile: caFile
        )
        .send(message)
        let received = server.received
        #expect(
            received.commands.map(\.line) == [
                "EHLO client.test", "STARTTLS", "EHLO client.test",
                "AUTH PLAIN " + Data("\0user\0\(Self.password)".utf8).base64EncodedString(),
                "MAIL FROM:<noreply@wharf.example>", "RCPT TO:<user@example.com>", "DATA", "QUIT",
            ]
        )
        #expect(received.commands.map(\.overTLS) == [false, false, true, true, true, true, true, true])
        #expect(received.messages == [message.rendered()])
        try await server.stop()
    }

    @Test("Implicit TLS to an IP address with AUTH LOGIN when only LOGIN is offered")
    func implicitTLSAndAuthLogin() async throws {
        let certificates = try TestCertificates.make()
        let caFile = try certificates.writeCAFile()
        defer { try? FileManager.default.removeItem(atPath: caFile) }
        let server = try await FakeSMTPServer.start(
            .init(implicitTLS: true, tls: certificates.serverContext, authMechanisms: ["LOGIN"])
        )
        try await Self.client(port: server.port, security: .tls, username: "user", caFile: caFile).send(
            try Self.message())
        let lines = server.received.commands.map(\.line)
        #expect(
            lines.prefix(4) == [
                "EHLO client.test", "AUTH LOGIN", Data("user".utf8).base64EncodedString(),
                Data(Self.password.utf8).base64EncodedString(),
            ])
        #expect(server.received.commands.allSatisfy { $0.overTLS })
        #expect(server.received.messages.count == 1)
        try await server.stop()
    }

    @Test("A certificate from an untrusted CA fails with a permanent TLS error before any credential is sent")
    func untrustedCertificate() async throws {
        let certificates = try TestCertificates.make()
        let server = try await FakeSMTPServer.start(
            .init(offersStartTLS: true, tls: certificates.serverContext, authMechanisms: ["PLAIN"])
        )
        let error = await #expect(throws: SMTPError.self) {
            try await Self.client(port: server.port, host: "localhost", security: .startTLS, username: "user").send(
                try Self.message())
        }
        #expect(error?.kind == .tls)
        #expect(error?.isPermanent == true)
        #expect(Self.neverSawPassword(server.received))
        try await server.stop()
    }

    @Test("A server without STARTTLS when STARTTLS is required fails with a TLS error and never sees the password")
    func startTLSRequiredButMissing() async throws {
        let server = try await FakeSMTPServer.start(.init(authMechanisms: ["PLAIN", "LOGIN"]))
        let error = await #expect(throws: SMTPError.self) {
            try await Self.client(port: server.port, security: .startTLS, username: "user").send(try Self.message())
        }
        #expect(error?.kind == .tls)
        #expect(error.map { !$0.description.contains(Self.password) } == true)
        #expect(Self.neverSawPassword(server.received))
        #expect(server.received.commands.map(\.line) == ["EHLO client.test"])
        try await server.stop()
    }

    @Test("Data injected after the 220 reply to STARTTLS is refused as a TLS error")
    func startTLSInjection() async throws {
        let certificates = try TestCertificates.make()
        let server = try await FakeSMTPServer.start(
            .init(
                offersStartTLS: true, tls: certificates.serverContext, injectsAfterStartTLS: true,
                authMechanisms: ["PLAIN"])
        )
        let error = await #expect(throws: SMTPError.self) {
            try await Self.client(port: server.port, host: "localhost", security: .startTLS, username: "user").send(
                try Self.message())
        }
        #expect(error?.kind == .tls)
        #expect(Self.neverSawPassword(server.received))
        try await server.stop()
    }

    @Test("Credentials go in clear to a loopback relay, but never in clear to any other host")
    func authOverPlainTCPOnlyToLoopback() async throws {
        #expect(!SMTPConversation.mayAuthenticate(overTLS: false, host: "smtp.example.com"))
        #expect(!SMTPConversation.mayAuthenticate(overTLS: false, host: "10.0.0.5"))
        #expect(SMTPConversation.mayAuthenticate(overTLS: true, host: "smtp.example.com"))
        let server = try await FakeSMTPServer.start(.init(authMechanisms: ["PLAIN"]))
        try await Self.client(port: server.port, username: "user").send(try Self.message())
        #expect(server.received.commands.contains { $0.line.hasPrefix("AUTH PLAIN") })
        try await server.stop()
    }

    @Test("535 on AUTH is a permanent authentication failure")
    func authRejected() async throws {
        let certificates = try TestCertificates.make()
        let caFile = try certificates.writeCAFile()
        defer { try? FileManager.default.removeItem(atPath: caFile) }
        let server = try await FakeSMTPServer.start(
            .init(
                offersStartTLS: true, tls: certificates.serverContext, authMechanisms: ["PLAIN"],
                authReply: "535 5.7.8 Authentication credentials invalid"
            )
        )
        let error = await #expect(throws: SMTPError.self) {
            try await Self.client(
                port: server.port, host: "localhost", security: .startTLS, username: "user", caFile: caFile
            )
            .send(try Self.message())
        }
        #expect(error?.kind == .authFailed(code: 535))
        #expect(error?.enhancedStatus == "5.7.8")
        #expect(error?.isPermanent == true)
        #expect(error.map { !$0.description.contains(Self.password) } == true)
        #expect(!server.received.commands.contains { $0.line.hasPrefix("MAIL FROM") })
        try await server.stop()
    }

    @Test("451 on RCPT TO is a transient rejection and no data is sent")
    func rcptTransient() async throws {
        let server = try await FakeSMTPServer.start(.init(rcptReply: "451 4.3.0 Try again later"))
        let error = await #expect(throws: SMTPError.self) {
            try await Self.client(port: server.port).send(try Self.message())
        }
        #expect(error?.kind == .rejected(code: 451))
        #expect(error?.command == "RCPT TO")
        #expect(error?.isPermanent == false)
        #expect(server.received.messages.isEmpty)
        try await server.stop()
    }

    @Test("A server that never answers times out within the configured time")
    func silentServerTimesOut() async throws {
        let server = try await FakeSMTPServer.start(.init(greets: false))
        let clock = ContinuousClock()
        let start = clock.now
        let error = await #expect(throws: SMTPError.self) {
            try await Self.client(port: server.port, timeoutMillis: 300).send(try Self.message())
        }
        let elapsed = clock.now - start
        #expect(error?.kind == .timeout)
        #expect(error?.isPermanent == false)
        #expect(elapsed >= .milliseconds(300))
        // Far below any default the client could fall back to, and loose enough for a machine busy with the other
        // tests running in parallel (3 s was once exceeded there).
        #expect(elapsed < .seconds(15))
        try await server.stop()
    }

    @Test("A refused connection is a transient connect error")
    func connectionRefused() async throws {
        let server = try await FakeSMTPServer.start(.init())
        let port = server.port
        try await server.stop()
        let error = await #expect(throws: SMTPError.self) {
            try await Self.client(port: port).send(try Self.message())
        }
        #expect(error?.kind == .connect)
        #expect(error?.isPermanent == false)
    }
}
