import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import WharfCore
import WharfStorage
import WharfUpstream

/// What the page controllers share: storage, configuration, the renderer, limits, mail and the clock. Built once in
/// ``buildApplication(runtime:clock:)``.
struct WebEnvironment: Sendable {
    let store: WharfStore
    let config: WharfConfig
    let renderer: PageRenderer
    let logger: Logger
    let clock: WharfClock
    let health: ChannelHealthBoard
    let upstream: UpstreamClient
    /// Top-ups and refunds.
    let payments: PaymentService
    /// Console sessions (through the SQL persist driver).
    let sessions: WebSessionStore
    /// A bcrypt hash to check against when the email is unknown, so that a wrong email takes as long as a wrong
    /// password (made on first use, at the configured cost).
    let decoy = DecoyHash()
    /// Sign-in, sign-up, reset and contact attempts per client address (per minute).
    let attempts = RateLimiter(defaultPerMinute: 10)
    /// Password re-checks per account and per client address (per minute).
    let passwordChecks = RateLimiter(defaultPerMinute: 10)
    /// Failed redemption-code attempts per account and per client address: 10 per 10 minutes.
    let redeemFailures = RateLimiter(defaultPerMinute: 10, periodMillis: 600_000)
    /// Top-up orders per account (each one calls a gateway): 10 a minute.
    let topUps = RateLimiter(defaultPerMinute: 10)
    /// Sign-in's bcrypt checks go through here (see ``verifyPassword(_:hash:lane:)``).
    let signInQueue = PasswordCheckQueue(running: max(1, System.coreCount - 1))
    /// Re-checks of signed-in accounts' passwords have a lane of their own, one at a time, so a flood of them never
    /// fills sign-in's.
    let recheckQueue = PasswordCheckQueue(running: 1, waiting: 8)
    /// What the admin audit page shows about the chain (checked incrementally; whole walks in the background).
    let auditMonitor: AuditMonitor

    /// Failed sign-ins in a row before the account locks, and for how long.
    static let lockAfter: Int64 = 5
    static let lockMillis: Int64 = 15 * 60_000

    /// A cookie with the site's flags: HttpOnly, SameSite=Lax, Path=/, and Secure when configured.
    func cookie(_ name: String, _ value: String, maxAge: Int?) -> String {
        var text = "\(name)=\(value); Path=/; HttpOnly; SameSite=Lax"
        if let maxAge { text += "; Max-Age=\(maxAge)" }
        if config.secureCookies { text += "; Secure" }
        return text
    }

    /// A cookie that deletes `name`.
    func expiredCookie(_ name: String) -> String { cookie(name, "", maxAge: 0) }

    /// Whether `scope` (e.g. `login`) may be attempted again from the visitor's address now.
    func admitAttempt(_ scope: String, _ visitor: Visitor) -> Bool {
        let now = clock.nowMillis()
        attempts.pruneIdle(now: now)
        return attempts.admit(
            keyID: "\(scope):\(ClientAddress.limitScope(visitor.clientAddress))", perMinute: nil, now: now
        ).allowed
    }

    /// Checks a password against its hash off the event loops, through a bounded queue (sign-in's, or the re-checks' own lane): when it is
    /// full the visitor is told to try again shortly (503), so sign-in is never starved behind a flood.
    func verifyPassword(_ password: String, hash: String, recheck: Bool = false) async throws -> Bool {
        do {
            return try await (recheck ? recheckQueue : signInQueue).run { PasswordHashing.verify(password, hash: hash) }
        } catch is PasswordCheckQueue.Busy {
            throw WebFailure(status: .serviceUnavailable, messageKey: "err_busy")
        }
    }

    /// Checks a signed-in account's password (re-authentication before a sensitive change), limited per account
    /// and per client address (10 a minute each, on this node) before any bcrypt work is done.
    func checkPassword(_ password: String, of user: UserRecord, _ visitor: Visitor) async throws -> Bool {
        let now = clock.nowMillis()
        passwordChecks.pruneIdle(now: now)
        guard passwordChecks.admit(keyID: "account:\(user.id)", perMinute: nil, now: now).allowed,
            passwordChecks.admit(
                keyID: "address:\(ClientAddress.limitScope(visitor.clientAddress))", perMinute: nil, now: now
            ).allowed
        else { throw WebFailure(status: .tooManyRequests, messageKey: "err_password_attempts") }
        return try await verifyPassword(password, hash: user.passwordHash, recheck: true)
    }

    /// Queues an email to `user` in their language (the body's `{name}` placeholders filled from `values`).
    func queueMail(to user: UserRecord, kind: String, subjectKey: String, bodyKey: String, values: [String: String])
        async throws
    {
        let language = user.language.flatMap(Language.init(tag:)) ?? .english
        var body = Translations.text(bodyKey, language)
        for (name, value) in values { body = body.replacingOccurrences(of: "{\(name)}", with: value) }
        let mail = QueuedMail(subject: Translations.text(subjectKey, language), text: body)
        try await store.enqueueMail(userID: user.id, kind: kind, recipient: user.email, message: mail.encoded())
    }

    /// The login widget's settings for page models (empty when Telegram sign-in is not configured).
    func telegramModel(_ visitor: Visitor) -> [String: Any] {
        guard config.telegramBotToken != nil, let name = config.telegramBotName else { return [:] }
        let state = SessionTokens.telegramState(csrf: visitor.csrfToken)
        return ["telegramBotName": name, "telegramAuthURL": link("/login/telegram/\(state)")]
    }

    /// Checks a one-time code (accepted once per time step) or, failing that, an unused backup code.
    func checkSecondFactor(_ user: UserRecord, code: String) async throws -> Bool {
        guard let secret = try await store.twoFactorSecret(userID: user.id) else { return false }
        if let step = TwoFactorCodes.matchingStep(secret: secret, code: code, nowMillis: clock.nowMillis()) {
            return try await store.acceptTwoFactorStep(userID: user.id, step: step)
        }
        guard code.count <= 20 else { return false }
        let used = try await store.useBackupCode(userID: user.id, hash: TwoFactorCodes.backupHash(code))
        if used { try await store.audit(actorID: user.id, action: "auth.backup_code_used", target: user.id) }
        return used
    }

    /// Issues a one-time link for `purpose` and mails it to `user` (at `user.email`): only the link's hash is
    /// stored, and issuing ends the account's earlier links of the same purpose.
    func mailOneTimeLink(
        to user: UserRecord, purpose: OneTimePurpose, ttlMillis: Int64, path: String, subjectKey: String,
        bodyKey: String, boundTo: String? = nil
    ) async throws {
        let token = SessionTokens.generate()
        try await store.issueOneTimeToken(
            hash: SessionTokens.storedID(token), userID: user.id, purpose: purpose, ttlMillis: ttlMillis,
            boundTo: boundTo)
        try await queueMail(
            to: user, kind: purpose.rawValue, subjectKey: subjectKey, bodyKey: bodyKey,
            values: ["link": link("\(path)?token=\(token)")])
    }

    /// Uses the one-time token `token` (from a mailed link or the sign-in challenge cookie) for `purpose`: its
    /// account, or nil when the token is malformed, unknown, expired or used.
    func consumeOneTimeLink(_ token: String, purpose: OneTimePurpose) async throws -> String? {
        try await consumeBoundLink(token, purpose: purpose)?.userID
    }

    /// The same, with what the link was bound to when mailed (an email change's new address).
    func consumeBoundLink(_ token: String, purpose: OneTimePurpose) async throws -> (userID: String, boundTo: String?)?
    {
        guard SessionTokens.isWellFormed(token) else { return nil }
        return try await store.consumeBoundToken(hash: SessionTokens.storedID(token), purpose: purpose)
    }

    /// Queues an email to any address (a contact-form sender) with a ready subject and text.
    func queueMail(toAddress: String, userID: String?, kind: String, subject: String, text: String) async throws {
        let mail = QueuedMail(subject: subject, text: text)
        try await store.enqueueMail(userID: userID, kind: kind, recipient: toAddress, message: mail.encoded())
    }

    /// Tells the account's owner by email that a security setting changed (`changeKey` names it).
    func securityAlert(_ user: UserRecord, changeKey: String) async throws {
        let language = user.language.flatMap(Language.init(tag:)) ?? .english
        try await queueMail(
            to: user, kind: "security_alert", subjectKey: "mail_security_subject", bodyKey: "mail_security_body",
            values: ["change": Translations.text(changeKey, language), "link": link("/console/settings")])
    }

    /// An absolute link for an email.
    func link(_ path: String) -> String { config.effectivePublicURL + path }
}

/// A message as the outbox keeps it (sealed): subject and plain text; sender and headers are added at delivery.
public struct QueuedMail: Codable, Sendable, Equatable {
    public var subject: String
    public var text: String

    /// Creates a message.
    public init(subject: String, text: String) {
        self.subject = subject
        self.text = text
    }

    /// The JSON the outbox stores.
    public func encoded() -> String {
        (try? String(decoding: JSONEncoder().encode(self), as: UTF8.self)) ?? "{}"
    }

    /// Reads what ``encoded()`` wrote.
    public static func decode(_ text: String) -> QueuedMail? {
        try? JSONDecoder().decode(QueuedMail.self, from: Data(text.utf8))
    }
}
