import Foundation
import Logging
import Testing
import WharfMail

/// The configuration of the hand-run smoke check against `Tests/e2e/smtp_sink.py` (see `Tests/e2e/smtp_smoke.sh`).
/// Absent `WHARF_TEST_SMTP_PORT`, the suite is skipped.
enum SinkEnvironment {
    static let values = ProcessInfo.processInfo.environment
    static let port = values["WHARF_TEST_SMTP_PORT"].flatMap(Int.init)
}

@Suite("Smoke check against the aiosmtpd sink", .enabled(if: SinkEnvironment.port != nil, "set WHARF_TEST_SMTP_PORT"))
struct SMTPSinkSmokeTests {
    @Test("The client delivers one mail to the sink with the configured security and credentials")
    func deliverToSink() async throws {
        let values = SinkEnvironment.values
        let port = try #require(SinkEnvironment.port)
        let security = try #require(SMTPSecurity(rawValue: values["WHARF_TEST_SMTP_SECURITY"] ?? "none"))
        let settings = SMTPSettings(
            host: values["WHARF_TEST_SMTP_HOST"] ?? "127.0.0.1",
            port: port,
            security: security,
            username: values["WHARF_TEST_SMTP_USER"],
            password: values["WHARF_TEST_SMTP_PASSWORD"],
            timeoutMillis: 10_000,
            caCertificatePEMPath: values["WHARF_TEST_SMTP_CA"]
        )
        let message = MailMessage(
            from: try MailAddress("noreply@wharf.example", displayName: "Wharf 码头"),
            to: try MailAddress("smoke@example.com"),
            subject: values["WHARF_TEST_SMTP_SUBJECT"] ?? "Wharf smoke 余额",
            textBody: "Smoke test.\n.\n.leading dot line\n",
            htmlBody: "<p>Smoke test.</p>"
        )
        try await SMTPClient(settings: settings, logger: Logger(label: "wharf.mail.smoke")).send(message)
    }
}
