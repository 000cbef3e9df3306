import Foundation
import HTTPTypes
import Hummingbird
import WharfCore
import WharfStorage

/// The person's rights over their own data, in the console (promise P5): download everything held about them
/// (`GET /console/account/export`), correct their profile, freeze and unfreeze the account, and erase it
/// (`POST /console/account/delete`: password, and a two-factor code when enabled).
struct AccountDataController {
    let web: WebEnvironment

    func addRoutes(to group: RouterGroup<SignedInContext>) {
        group.get("account/export") { _, context in try await export(context) }
        group.post("account/delete") { _, context in try await erase(context) }
        group.post("account/freeze") { _, context in try await freeze(context, true) }
        group.post("account/unfreeze") { _, context in try await freeze(context, false) }
        group.post("settings/profile") { _, context in try await saveProfile(context) }
        group.post("settings/transfer") { _, context in try await saveTransfer(context) }
    }

    /// The export as a JSON attachment; the download itself is audited.
    func export(_ context: SignedInContext) async throws -> Response {
        let tables = try await web.store.exportSubject(userID: context.user.id)
        let now = web.clock.nowMillis()
        let document = SubjectExportDocument(userID: context.user.id, exportedAtMillis: now, tables: tables)
        let body = try document.json()
        try await web.store.audit(actorID: context.user.id, action: "account.export", target: context.user.id)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.contentDisposition] =
            "attachment; filename=\"wharf-export-\(WebFormat.date(now)).json\""
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(data: body)))
    }

    /// Erases the account after the password (and a second factor when enabled) check out; signs out.
    func erase(_ context: SignedInContext) async throws -> Response {
        if let problem = try await reauthenticationProblem(context) {
            return try await ConsolePagesController(web: web).settings(context, error: problem)
        }
        _ = try await web.store.eraseAccount(userID: context.user.id)
        var response = WebRedirect(location: "/?notice=notice_account_erased").response
        response.headers.append(
            HTTPField(name: .setCookie, value: web.expiredCookie(WebSessionMiddleware.sessionCookie)))
        return response
    }

    /// Freezing needs only the session (it only protects); lifting it needs the password and, when enabled, a
    /// second factor, so a stolen session cannot undo the owner's freeze.
    func freeze(_ context: SignedInContext, _ frozen: Bool) async throws -> Response {
        if !frozen, let problem = try await reauthenticationProblem(context) {
            return try await ConsolePagesController(web: web).settings(context, error: problem)
        }
        if try await web.store.setFrozen(userID: context.user.id, frozen) {
            try await web.store.audit(
                actorID: context.user.id, action: frozen ? "account.freeze" : "account.unfreeze",
                target: context.user.id)
        }
        throw WebRedirect(
            location: "/console/settings?notice=\(frozen ? "notice_account_frozen" : "notice_account_unfrozen")")
    }

    /// The account's default transfer constraints, which every key of the account is held to as well as its own.
    func saveTransfer(_ context: SignedInContext) async throws -> Response {
        let form = context.visitor.form
        var transfer = TransferConstraints()
        let text = (form["regions"] ?? "").trimmingCharacters(in: .whitespaces)
        if !text.isEmpty {
            guard let regions = TransferConstraints.parseRegions(text) else {
                return try await ConsolePagesController(web: web).settings(context, error: "err_key_regions")
            }
            transfer.regions = regions
        }
        transfer.requireZeroRetention = form.isChecked("zero_retention")
        transfer.requireNoTraining = form.isChecked("no_training")
        try await web.store.setTransferDefault(userID: context.user.id, transfer)
        try await web.store.audit(
            actorID: context.user.id, action: "account.transfer_default", target: context.user.id,
            detail:
                "regions=\(transfer.regions.count) zero_retention=\(transfer.requireZeroRetention) no_training=\(transfer.requireNoTraining)"
        )
        throw WebRedirect(location: "/console/settings?notice=notice_saved")
    }

    /// Checks the form's `password` and, when two-factor sign-in is on, its `code`; the message key of what failed,
    /// or nil when both check out.
    func reauthenticationProblem(_ context: SignedInContext) async throws -> String? {
        let form = context.visitor.form
        guard try await web.checkPassword(form.raw("password") ?? "", of: context.user, context.visitor) else {
            return "err_current_password"
        }
        if context.user.twoFactorEnabled, try await !web.checkSecondFactor(context.user, code: form["code"] ?? "") {
            return "err_twofa_code"
        }
        return nil
    }

    /// Corrects the username and phone number.
    func saveProfile(_ context: SignedInContext) async throws -> Response {
        let form = context.visitor.form
        let username = (form["username"] ?? "").trimmingCharacters(in: .whitespaces)
        let phone = (form["phone"] ?? "").trimmingCharacters(in: .whitespaces)
        guard AccountPagesController.isValidUsername(username) else {
            return try await ConsolePagesController(web: web).settings(context, error: "err_username_invalid")
        }
        guard phone.isEmpty || AccountPagesController.isValidPhone(phone) else {
            return try await ConsolePagesController(web: web).settings(context, error: "err_phone_invalid")
        }
        guard
            try await web.store.setProfile(
                userID: context.user.id, username: username, phone: phone.isEmpty ? nil : phone)
        else { return try await ConsolePagesController(web: web).settings(context, error: "err_username_taken") }
        try await web.store.audit(actorID: context.user.id, action: "account.profile", target: context.user.id)
        throw WebRedirect(location: "/console/settings?notice=notice_saved")
    }
}
