import Foundation
import Hummingbird
import WharfCore
import WharfStorage

/// Support tickets in the console (promise P12): a signed-in person opens a ticket (subject, message), sees its
/// thread and replies in it; staff answer from the admin inbox in the same thread, and each answer is emailed.
/// Tickets are support messages with an account, kept for the support retention from their last message.
struct SupportPagesController {
    let web: WebEnvironment

    static let maxSubject = 200
    static let maxBody = 5000

    /// Whether a subject and body fit: characters as shown, UTF-8 bytes (combining marks count), and no control
    /// characters in the subject (it becomes an email's Subject line).
    static func fits(subject: String?, body: String) -> Bool {
        let subjectFits =
            subject.map {
                $0.count <= maxSubject && $0.utf8.count <= maxSubject * 4
                    && !$0.unicodeScalars.contains {
                        $0.properties.generalCategory == .control || $0.properties.generalCategory == .format
                    }
            } ?? true
        return subjectFits && body.count <= maxBody && body.utf8.count <= maxBody * 4
    }

    func addRoutes(to group: RouterGroup<SignedInContext>) {
        group.get("support") { _, context in try await list(context, form: [:], error: nil) }
        group.post("support") { _, context in try await open(context) }
        group.get("support/{id}") { _, context in try await thread(context, error: nil) }
        group.post("support/{id}/reply") { _, context in try await reply(context) }
    }

    func list(_ context: SignedInContext, form: [String: String], error: String?) async throws -> Response {
        let tickets = try await web.store.supportTickets(userID: context.user.id).map {
            [
                "id": $0.id, "subject": $0.subject, "time": WebFormat.time($0.createdAt),
                "status": context.visitor.text("ticket_status_\($0.status == "open" ? "open" : "closed")"),
            ]
        }
        var model: [String: Any] = ["tabSupport": true, "tickets": tickets, "form": form]
        if let error { model["error"] = context.visitor.text(error) }
        return web.renderer.page(
            "supportTickets", titleKey: "console_support", visitor: context.visitor, model: model,
            status: error == nil ? .ok : .badRequest)
    }

    func open(_ context: SignedInContext) async throws -> Response {
        let form = context.visitor.form
        let subject = (form["subject"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let body = (form["message"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let values = ["subject": subject, "message": body]
        guard !subject.isEmpty, !body.isEmpty else {
            return try await list(context, form: values, error: "err_required")
        }
        guard Self.fits(subject: subject, body: body) else {
            return try await list(context, form: values, error: "err_too_long")
        }
        guard web.admitAttempt("support", context.visitor) else {
            return try await list(context, form: values, error: "err_rate_limited")
        }
        let ticket = try await web.store.createSupportMessage(
            userID: context.user.id, email: context.user.email, subject: subject, body: body)
        throw WebRedirect(location: "/console/support/\(ticket.id)?notice=notice_ticket_opened")
    }

    /// The ticket and its thread; another account's ticket is not found.
    func thread(_ context: SignedInContext, error: String?) async throws -> Response {
        let ticket = try await ownTicket(context)
        let replies = try await web.store.supportThread(messageID: ticket.id).map {
            [
                "body": $0.body, "time": WebFormat.time($0.createdAt),
                "who": context.visitor.text($0.actorID == context.user.id ? "ticket_from_you" : "ticket_from_support"),
                "staff": $0.actorID != context.user.id,
            ] as [String: Any]
        }
        var model: [String: Any] = [
            "tabSupport": true, "id": ticket.id, "subject": ticket.subject, "body": ticket.body,
            "time": WebFormat.time(ticket.createdAt), "replies": replies,
            "status": context.visitor.text("ticket_status_\(ticket.status == "open" ? "open" : "closed")"),
        ]
        if let error { model["error"] = context.visitor.text(error) }
        return web.renderer.page(
            "supportThread", titleKey: "console_support", visitor: context.visitor, model: model,
            status: error == nil ? .ok : .badRequest)
    }

    func reply(_ context: SignedInContext) async throws -> Response {
        let ticket = try await ownTicket(context)
        let body = (context.visitor.form["message"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !body.isEmpty else { return try await thread(context, error: "err_required") }
        guard Self.fits(subject: nil, body: body) else { return try await thread(context, error: "err_too_long") }
        guard web.admitAttempt("support", context.visitor) else {
            return try await thread(context, error: "err_rate_limited")
        }
        try await web.store.addOwnerReply(messageID: ticket.id, userID: context.user.id, body: body)
        throw WebRedirect(location: "/console/support/\(ticket.id)?notice=notice_ticket_replied")
    }

    func ownTicket(_ context: SignedInContext) async throws -> SupportMessage {
        let id = context.parameters.get("id") ?? ""
        guard id.count <= 64, let ticket = try await web.store.supportMessage(id: id), ticket.userID == context.user.id
        else { throw WebFailure.notFound }
        return ticket
    }
}
