import Foundation
import HTTPTypes
import Hummingbird
import WharfCore
import WharfStorage

/// Sign-up (with email confirmation), sign-in (lockout per account, rate limit per address, new-sign-in alert),
/// sign-out, password reset by a single-use emailed link, and the first-run setup form.
struct AccountPagesController: Sendable {
    let web: WebEnvironment
    static let verifyTTL: Int64 = 24 * 3_600_000
    static let resetTTL: Int64 = 3_600_000

    func addRoutes(to group: RouterGroup<WharfRequestContext>) {
        group.get("register") { _, context in
            web.renderer.page(
                "register", titleKey: "register_title", visitor: context.visitor ?? Visitor(),
                model: [
                    "policyVersion": web.config.policyVersion,
                    "registrationClosed": try await web.store.setting(SiteSettings.registration) == "closed",
                ])
        }
        group.post("register") { _, context in try await register(context.visitor ?? Visitor()) }
        group.get("verify") { request, context in try await verify(request, context.visitor ?? Visitor()) }
        group.get("login") { _, context in
            web.renderer.page(
                "login", titleKey: "login_title", visitor: context.visitor ?? Visitor(),
                model: web.telegramModel(context.visitor ?? Visitor()))
        }
        group.get("login/2fa") { _, context in
            web.renderer.page("loginTwoFactor", titleKey: "twofa_title", visitor: context.visitor ?? Visitor())
        }
        group.post("login/2fa") { request, context in try await completeChallenge(request, context.visitor ?? Visitor())
        }
        group.get("login/telegram/{state}") { request, context in
            try await telegram(request, context.visitor ?? Visitor())
        }
        group.post("login/telegram/link") { _, context in try await linkTelegram(context.visitor ?? Visitor()) }
        group.get("verify-email") { request, context in
            try await confirmEmailChange(request, context.visitor ?? Visitor())
        }
        group.post("login") { request, context in try await login(request, context.visitor ?? Visitor()) }
        group.post("logout") { _, context in try await logout(context.visitor ?? Visitor()) }
        group.get("forgot") { _, context in
            web.renderer.page("forgot", titleKey: "forgot_title", visitor: context.visitor ?? Visitor())
        }
        group.post("forgot") { _, context in try await forgot(context.visitor ?? Visitor()) }
        group.get("reset") { request, context in
            let token = request.uri.queryParameters.get("token") ?? ""
            return web.renderer.page(
                "reset", titleKey: "reset_title", visitor: context.visitor ?? Visitor(), model: ["token": token])
        }
        group.post("reset") { _, context in try await reset(context.visitor ?? Visitor()) }
        group.get("setup") { _, context in
            guard try await !web.store.hasAdmin() else { throw WebRedirect(location: "/login") }
            return web.renderer.page("setup", titleKey: "setup_title", visitor: context.visitor ?? Visitor())
        }
        group.post("setup/form") { _, context in try await setup(context.visitor ?? Visitor()) }
    }

    /// Usernames: 3 to 32 ASCII letters, digits, `.`, `-`, `_`.
    static func isValidUsername(_ name: String) -> Bool {
        (3...32).contains(name.count)
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
    }

    /// Phones: up to 32 digits, spaces, `+`, `-`, parentheses, with at least 5 digits.
    static func isValidPhone(_ phone: String) -> Bool {
        phone.count <= 32 && phone.allSatisfy { $0.isASCII && ($0.isNumber || " +-()".contains($0)) }
            && phone.filter(\.isNumber).count >= 5
    }

    func register(_ visitor: Visitor) async throws -> Response {
        let form = visitor.form
        let email = form["email"] ?? ""
        let username = form["username"] ?? ""
        let phone = form["phone"] ?? ""
        let password = form.raw("password") ?? ""
        let kept = ["email": email, "username": username, "phone": phone]
        func again(_ key: String) -> Response {
            web.renderer.page(
                "register", titleKey: "register_title", visitor: visitor,
                model: ["form": kept, "error": visitor.text(key), "policyVersion": web.config.policyVersion],
                status: .badRequest)
        }
        guard try await web.store.setting(SiteSettings.registration) != "closed" else {
            throw WebFailure(status: .forbidden, messageKey: "register_closed")
        }
        guard let address = EmailAddress(email), email.count <= 254 else { return again("err_email_invalid") }
        guard Self.isValidUsername(username) else { return again("err_username_invalid") }
        guard phone.isEmpty || Self.isValidPhone(phone) else { return again("err_phone_invalid") }
        do {
            try AccountService.validatePassword(password, email: address.value, username: username)
        } catch {
            return again(error.messageKey)
        }
        guard form.isChecked("age") else { return again("err_age_required") }
        guard form.isChecked("policy") else { return again("err_policy_required") }
        guard web.admitAttempt("register", visitor) else { return again("err_rate_limited") }
        guard try await web.store.user(username: username) == nil, try await web.store.user(email: email) == nil else {
            return again("err_email_taken")
        }
        let verify = web.config.emailVerificationRequired
        let user: UserRecord
        do {
            user = try await AccountService(store: web.store, cost: web.config.passwordHashCost).createAccount(
                email: email, password: password, role: .user, username: username, phone: phone.isEmpty ? nil : phone,
                signUp: SignUpRecord(
                    ageConfirmed: true, policyVersion: web.config.policyVersion, language: visitor.language.rawValue,
                    emailVerified: !verify))
        } catch StoreError.duplicate {
            return again("err_email_taken")
        }
        guard verify else {
            return web.renderer.message(
                headingKey: "notice_verified_title", textKey: "notice_registered_ready", visitor: visitor,
                link: ("/login", "go_login"))
        }
        try await sendVerification(to: user)
        return web.renderer.message(
            headingKey: "notice_registered_title", textKey: "notice_registered_text", visitor: visitor)
    }

    func sendVerification(to user: UserRecord) async throws {
        try await web.mailOneTimeLink(
            to: user, purpose: .verifyEmail, ttlMillis: Self.verifyTTL, path: "/verify",
            subjectKey: "mail_verify_subject", bodyKey: "mail_verify_body")
    }

    /// The page for a link that is malformed, unknown, expired or already used.
    func invalidLink(_ visitor: Visitor) -> Response {
        web.renderer.message(
            headingKey: "title_error", textKey: "err_token_invalid", visitor: visitor, status: .badRequest)
    }

    func verify(_ request: Request, _ visitor: Visitor) async throws -> Response {
        let token = request.uri.queryParameters.get("token") ?? ""
        guard let userID = try await web.consumeOneTimeLink(token, purpose: .verifyEmail) else {
            return invalidLink(visitor)
        }
        try await web.store.markEmailVerified(userID: userID)
        try await web.store.audit(actorID: userID, action: "account.email_verified", target: userID)
        return web.renderer.message(
            headingKey: "notice_verified_title", textKey: "notice_verified_text", visitor: visitor,
            link: ("/login", "go_login"))
    }

    func login(_ request: Request, _ visitor: Visitor) async throws -> Response {
        let email = visitor.form["email"] ?? ""
        let password = visitor.form.raw("password") ?? ""
        func again(_ key: String, _ status: HTTPResponse.Status = .unauthorized) -> Response {
            web.renderer.page(
                "login", titleKey: "login_title", visitor: visitor,
                model: ["form": ["email": email], "error": visitor.text(key)], status: status)
        }
        guard web.admitAttempt("login", visitor) else { return again("err_rate_limited", .tooManyRequests) }
        guard let user = try await web.store.user(email: email) else {
            _ = try await web.verifyPassword(
                password, hash: try await web.decoy.hash(cost: web.config.passwordHashCost))
            return again("err_login_failed")
        }
        let now = web.clock.nowMillis()
        // A locked account answers exactly like a wrong password (same message, same bcrypt time), so the lock
        // does not tell a stranger that the email has an account.
        if let until = user.lockedUntil, until > now {
            _ = try await web.verifyPassword(
                password, hash: try await web.decoy.hash(cost: web.config.passwordHashCost))
            return again("err_login_failed")
        }
        guard try await web.verifyPassword(password, hash: user.passwordHash) else {
            let locked = try await web.store.recordLoginFailure(
                userID: user.id, lockAfter: WebEnvironment.lockAfter, lockMillis: WebEnvironment.lockMillis)
            if locked != nil {
                try await web.store.audit(actorID: nil, action: "account.locked", target: user.id)
            }
            return again("err_login_failed")
        }
        guard user.status.canSignIn else { return again("err_account_disabled", .forbidden) }
        guard user.emailVerifiedAt != nil || !web.config.emailVerificationRequired else {
            return again("err_not_verified", .forbidden)
        }
        if user.twoFactorEnabled { return try await challenge(user) }
        return try await startSession(user, request, visitor)
    }

    static let challengeCookie = "wharf_2fa"

    /// The password was right and the account asks for a code: a single-use, five-minute challenge in a cookie.
    func challenge(_ user: UserRecord) async throws -> Response {
        let token = SessionTokens.generate()
        try await web.store.issueOneTimeToken(
            hash: SessionTokens.storedID(token), userID: user.id, purpose: .signInChallenge, ttlMillis: 5 * 60_000)
        var response = WebRedirect(location: "/login/2fa").response
        response.headers.append(
            HTTPField(name: .setCookie, value: web.cookie(Self.challengeCookie, token, maxAge: 300)))
        return response
    }

    /// Checks the one-time or backup code against the challenge; one try per challenge, and a wrong code counts
    /// towards the account's lockout.
    func completeChallenge(_ request: Request, _ visitor: Visitor) async throws -> Response {
        let code = visitor.form["code"] ?? ""
        let token = request.cookies[Self.challengeCookie]?.value ?? ""
        func failed(_ key: String) -> Response {
            var response = web.renderer.page(
                "login", titleKey: "login_title", visitor: visitor,
                model: web.telegramModel(visitor).merging(["error": visitor.text(key)]) { $1 }, status: .unauthorized)
            response.headers.append(HTTPField(name: .setCookie, value: web.expiredCookie(Self.challengeCookie)))
            return response
        }
        guard let userID = try await web.consumeOneTimeLink(token, purpose: .signInChallenge),
            let user = try await web.store.user(id: userID), user.status.canSignIn
        else { return failed("err_token_invalid") }
        guard try await web.checkSecondFactor(user, code: code) else {
            _ = try await web.store.recordLoginFailure(
                userID: user.id, lockAfter: WebEnvironment.lockAfter, lockMillis: WebEnvironment.lockMillis)
            return failed("err_twofa_code")
        }
        var response = try await startSession(user, request, visitor)
        response.headers.append(HTTPField(name: .setCookie, value: web.expiredCookie(Self.challengeCookie)))
        return response
    }

    /// Signs `user` in: a new session, the sign-in recorded and audited, and a new-sign-in email when this device
    /// and network have no live session yet.
    func startSession(_ user: UserRecord, _ request: Request, _ visitor: Visitor) async throws -> Response {
        try await web.store.recordLoginSuccess(userID: user.id)
        let device = DeviceSummary.of(request.headers[.userAgent])
        let address = ClientAddress.stored(visitor.clientAddress, mode: web.config.clientIPMode)
        let known = try await web.sessions.list(userID: user.id).contains {
            $0.device == device && $0.clientIP == address
        }
        let token = SessionTokens.generate()
        let lifetime = Int64(web.config.sessionAbsoluteHours) * 3_600_000
        _ = try await web.sessions.create(
            id: SessionTokens.storedID(token), userID: user.id, device: device, clientIP: address)
        // The account was read before the (slow) password check. If its password, address or second factor changed
        // meanwhile, that change's sign-out-all may have run before this session existed: end it at once.
        let now = try await web.store.user(id: user.id)
        guard let now, now.status.canSignIn, now.passwordHash == user.passwordHash, now.email == user.email,
            now.twoFactorEnabled == user.twoFactorEnabled, now.telegramID == user.telegramID
        else {
            try await web.sessions.revoke(id: SessionTokens.storedID(token), userID: user.id)
            throw WebRedirect(location: "/login?notice=notice_signed_out")
        }
        try await web.store.audit(actorID: user.id, action: "auth.login", target: user.id)
        if user.notifyLogin, !known {
            try await web.queueMail(
                to: user, kind: "login_alert", subjectKey: "mail_login_subject", bodyKey: "mail_login_body",
                values: ["device": device, "ip": address ?? "-", "link": web.link("/console/settings")])
        }
        var response = WebRedirect(location: "/console").response
        response.headers.append(
            HTTPField(
                name: .setCookie,
                value: web.cookie(WebSessionMiddleware.sessionCookie, token, maxAge: Int(lifetime / 1000))))
        return response
    }

    /// The Telegram login widget's redirect. Signed out: signs in the linked account (through the code step when
    /// two-factor is on). Signed in: asks to confirm the link with a CSRF-protected form, so a crafted link cannot
    /// attach someone else's Telegram account.
    func telegram(_ request: Request, _ visitor: Visitor) async throws -> Response {
        guard let token = web.config.telegramBotToken else { throw WebFailure.notFound }
        let state = request.uri.path.split(separator: "/").last.map(String.init) ?? ""
        guard SessionTokens.constantTimeEqual(state, SessionTokens.telegramState(csrf: visitor.csrfToken)) else {
            throw WebFailure(status: .forbidden, messageKey: "err_telegram")
        }
        var fields: [String: String] = [:]
        for (key, value) in request.uri.queryParameters where fields.count < 10 {
            fields[String(key)] = String(value)
        }
        let identity: TelegramLogin.Identity
        do {
            identity = try TelegramLogin.verify(fields, botToken: token, nowSeconds: web.clock.nowMillis() / 1000)
        } catch {
            throw WebFailure(status: .forbidden, messageKey: "err_telegram")
        }
        if visitor.user != nil {
            return web.renderer.page(
                "telegramLink", titleKey: "telegram_link_title", visitor: visitor,
                model: [
                    "telegramName": fields["username"].map { "@" + $0 } ?? identity.id,
                    "fields": fields.sorted { $0.key < $1.key }.map { ["name": $0.key, "value": $0.value] },
                ])
        }
        guard try await web.store.firstSightOfLoginProof(identity.proofID) else {
            throw WebFailure(status: .forbidden, messageKey: "err_telegram")
        }
        guard let user = try await web.store.user(telegramID: identity.id), user.status.canSignIn else {
            throw WebFailure(status: .forbidden, messageKey: "err_telegram_unlinked")
        }
        if user.twoFactorEnabled { return try await challenge(user) }
        return try await startSession(user, request, visitor)
    }

    func linkTelegram(_ visitor: Visitor) async throws -> Response {
        guard let token = web.config.telegramBotToken, let user = visitor.user else {
            throw WebRedirect(location: "/login")
        }
        guard try await web.checkPassword(visitor.form.raw("password") ?? "", of: user, visitor) else {
            throw WebFailure(status: .forbidden, messageKey: "err_current_password")
        }
        var fields: [String: String] = [:]
        for name in ["id", "first_name", "last_name", "username", "photo_url", "auth_date", "hash"] {
            if let value = visitor.form.raw(name) { fields[name] = value }
        }
        guard
            let identity = try? TelegramLogin.verify(fields, botToken: token, nowSeconds: web.clock.nowMillis() / 1000),
            try await web.store.firstSightOfLoginProof(identity.proofID)
        else { throw WebFailure(status: .forbidden, messageKey: "err_telegram") }
        do {
            try await web.store.setTelegramID(userID: user.id, telegramID: identity.id)
        } catch StoreError.duplicate {
            throw WebFailure(status: .conflict, messageKey: "err_telegram_taken")
        }
        try await web.sessions.revokeAll(userID: user.id, keeping: visitor.session?.id)
        try await web.securityAlert(user, changeKey: "change_telegram_linked")
        try await web.store.audit(actorID: user.id, action: "account.telegram_link", target: user.id)
        throw WebRedirect(location: "/console/settings?notice=notice_saved")
    }

    func confirmEmailChange(_ request: Request, _ visitor: Visitor) async throws -> Response {
        let token = request.uri.queryParameters.get("token").map { String($0) } ?? ""
        guard let (userID, mailedTo) = try await web.consumeBoundLink(token, purpose: .changeEmail), let mailedTo
        else { return invalidLink(visitor) }
        guard let before = try await web.store.user(id: userID) else { throw WebFailure.notFound }
        do {
            guard try await web.store.confirmPendingEmail(userID: userID, mailedTo: mailedTo) != nil else {
                throw WebFailure(status: .badRequest, messageKey: "err_token_invalid")
            }
        } catch StoreError.duplicate {
            throw WebFailure(status: .conflict, messageKey: "err_email_taken")
        }
        try await web.store.invalidateOneTimeTokens(userID: userID)
        // Whoever is signed in to the account elsewhere knew it by its old address: they sign in again.
        try await web.sessions.revokeAll(
            userID: userID, keeping: visitor.session.flatMap { $0.userID == userID ? $0.id : nil })
        try await web.queueMail(
            to: before, kind: "email_changed", subjectKey: "mail_email_changed_subject",
            bodyKey: "mail_email_changed_body", values: ["link": web.link("/forgot")])
        try await web.store.audit(actorID: userID, action: "account.email_change", target: userID)
        return web.renderer.message(
            headingKey: "notice_verified_title", textKey: "notice_email_changed", visitor: visitor,
            link: ("/console/settings", "console_settings"))
    }

    func logout(_ visitor: Visitor) async throws -> Response {
        if let session = visitor.session {
            try await web.sessions.revoke(id: session.id, userID: session.userID)
        }
        var response = WebRedirect(location: "/login?notice=notice_signed_out").response
        response.headers.append(
            HTTPField(name: .setCookie, value: web.expiredCookie(WebSessionMiddleware.sessionCookie)))
        return response
    }

    /// Always answers the same way, so the form does not reveal which emails have accounts.
    func forgot(_ visitor: Visitor) async throws -> Response {
        let email = visitor.form["email"] ?? ""
        if web.admitAttempt("forgot", visitor), let user = try await web.store.user(email: email),
            user.status.canSignIn
        {
            try await web.mailOneTimeLink(
                to: user, purpose: .resetPassword, ttlMillis: Self.resetTTL, path: "/reset",
                subjectKey: "mail_reset_subject", bodyKey: "mail_reset_body")
        }
        return web.renderer.message(
            headingKey: "notice_reset_sent_title", textKey: "notice_reset_sent_text", visitor: visitor)
    }

    func reset(_ visitor: Visitor) async throws -> Response {
        let token = visitor.form["token"] ?? ""
        let password = visitor.form.raw("password") ?? ""
        do { try AccountService.validatePassword(password) } catch {
            return web.renderer.page(
                "reset", titleKey: "reset_title", visitor: visitor,
                model: ["token": token, "error": visitor.text("err_password_weak")], status: .badRequest)
        }
        guard let userID = try await web.consumeOneTimeLink(token, purpose: .resetPassword) else {
            return invalidLink(visitor)
        }
        try await web.store.setPasswordHash(
            userID: userID, hash: try await AccountService.hash(password, cost: web.config.passwordHashCost))
        try await web.sessions.revokeAll(userID: userID)
        // Whoever may have had the account loses every other way in: mailed links, a pending email change and a
        // linked Telegram account (the owner can link it again).
        try await web.store.invalidateOneTimeTokens(userID: userID)
        try await web.store.setTelegramID(userID: userID, telegramID: nil)
        if let user = try await web.store.user(id: userID) {
            try await web.securityAlert(user, changeKey: "change_password_reset")
        }
        try await web.store.audit(actorID: userID, action: "account.password_reset", target: userID)
        throw WebRedirect(location: "/login?notice=notice_password_reset")
    }

    func setup(_ visitor: Visitor) async throws -> Response {
        let form = visitor.form
        do {
            _ = try await SetupController.complete(
                store: web.store, token: form["token"] ?? "", email: form["email"] ?? "",
                password: form.raw("password") ?? "", cost: web.config.passwordHashCost)
        } catch SetupController.SetupFailure.refused {
            throw WebFailure(status: .forbidden, messageKey: "err_token_invalid")
        } catch SetupController.SetupFailure.invalidAccount(let error) {
            return web.renderer.page(
                "setup", titleKey: "setup_title", visitor: visitor,
                model: ["form": ["email": form["email"] ?? ""], "error": visitor.text(error.messageKey)],
                status: .badRequest)
        }
        throw WebRedirect(location: "/login?notice=notice_setup_done")
    }
}
