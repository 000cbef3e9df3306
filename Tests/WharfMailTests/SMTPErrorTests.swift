import NIOCore
import Testing

@testable import WharfMail

@Suite("SMTP error classification")
struct SMTPErrorTests {
    @Test("5xx replies are permanent, 4xx replies are transient")
    func replyCodes() {
        #expect(SMTPError(.rejected(code: 550)).isPermanent)
        #expect(SMTPError(.authFailed(code: 535)).isPermanent)
        #expect(!SMTPError(.rejected(code: 451)).isPermanent)
        #expect(!SMTPError(.authFailed(code: 454)).isPermanent)
    }

    @Test("Connect failures, timeouts and protocol errors are transient; TLS and auth set-up problems are permanent")
    func kinds() {
        #expect(!SMTPError(.connect).isPermanent)
        #expect(!SMTPError(.timeout).isPermanent)
        #expect(!SMTPError(.protocolError).isPermanent)
        #expect(SMTPError(.tls).isPermanent)
        #expect(SMTPError(.authUnavailable).isPermanent)
        #expect(SMTPError(.insecureAuthRefused).isPermanent)
    }

    @Test("NIO errors map to connect, timeout and cancellation kinds")
    func classifying() {
        #expect(SMTPError.classifying(ChannelError.connectTimeout(.seconds(1))).kind == .timeout)
        #expect(SMTPError.classifying(CancellationError()).kind == .timeout)
        #expect(SMTPError.classifying(ChannelError.ioOnClosedChannel).kind == .connect)
        #expect(SMTPError.classifying(SMTPError(.rejected(code: 550))).kind == .rejected(code: 550))
    }

    @Test("The description names the code, enhanced status and command, and whether it is permanent")
    func description() {
        let error = SMTPError(.rejected(code: 451), command: "RCPT TO", enhancedStatus: "4.3.0")
        #expect(error.description == "SMTP rejected (451 4.3.0) after RCPT TO; transient")
    }

    @Test("Settings print without the password")
    func settingsRedacted() {
        let settings = SMTPSettings(
            host: "smtp.example.com", port: 587, security: .startTLS, username: "u", password: "hunter2")
        #expect(!"\(settings)".contains("hunter2"))
    }

    @Test("Loopback hosts are recognised; others are not")
    func loopback() {
        for host in ["localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]"] {
            #expect(SMTPTLS.isLoopback(host), "\(host)")
        }
        for host in ["example.com", "10.0.0.1", "localhost.example.com", "::2"] {
            #expect(!SMTPTLS.isLoopback(host), "\(host)")
        }
        #expect(SMTPTLS.serverHostname(for: "127.0.0.1") == nil)
        #expect(SMTPTLS.serverHostname(for: "smtp.example.com") == "smtp.example.com")
    }
}
