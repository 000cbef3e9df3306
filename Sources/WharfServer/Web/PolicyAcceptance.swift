import Foundation
import Hummingbird
import WharfCore
import WharfStorage

/// Re-acceptance of a changed policy (promise P9): an account that accepted an earlier `policy_version` is sent to
/// `/console/policy` from the other console pages until it accepts the current one. The rights that do not depend on
/// accepting stay open: the settings page (export, freeze, deletion), `/console/account/*` and support tickets.
/// Accounts an operator created (which never accepted a version) are not stopped.
struct PolicyAcceptanceMiddleware: RouterMiddleware {
    typealias Context = SignedInContext
    let currentVersion: String

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if let accepted = context.user.policyVersion, accepted != currentVersion, !Self.exempt(request.uri.path) {
            throw WebRedirect(location: "/console/policy")
        }
        return try await next(request, context)
    }

    /// Paths open without accepting the new version.
    static func exempt(_ path: String) -> Bool {
        path == "/console/settings" || path == "/console/settings/profile" || path == "/console/settings/email"
            || path.hasPrefix("/console/policy") || path.hasPrefix("/console/account/")
            || path == "/console/support" || path.hasPrefix("/console/support/")
    }
}

/// The page that asks for the current policy version, and its form.
struct PolicyAcceptanceController {
    let web: WebEnvironment

    func addRoutes(to group: RouterGroup<SignedInContext>) {
        group.get("policy") { _, context in try page(context, error: nil) }
        group.post("policy") { _, context in try await accept(context) }
    }

    func page(_ context: SignedInContext, error: String?) throws -> Response {
        var model: [String: Any] = [
            "version": web.config.policyVersion, "previous": context.user.policyVersion ?? "—",
        ]
        if let error { model["error"] = context.visitor.text(error) }
        return web.renderer.page(
            "policyAccept", titleKey: "policy_accept_title", visitor: context.visitor, model: model,
            status: error == nil ? .ok : .badRequest)
    }

    func accept(_ context: SignedInContext) async throws -> Response {
        guard context.visitor.form.isChecked("accept") else { return try page(context, error: "err_policy_accept") }
        try await web.store.acceptPolicy(userID: context.user.id, version: web.config.policyVersion)
        try await web.store.audit(
            actorID: context.user.id, action: "account.policy_accept", target: context.user.id,
            detail: "version=\(web.config.policyVersion.prefix(40))")
        throw WebRedirect(location: "/console?notice=notice_policy_accepted")
    }
}
