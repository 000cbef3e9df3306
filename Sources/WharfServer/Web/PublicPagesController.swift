import Foundation
import HTTPTypes
import Hummingbird
import WharfCore
import WharfStorage

/// The public website: landing page, models and prices, the privacy policy rendered from live settings, terms,
/// cookie notice and choice, and the contact form.
struct PublicPagesController: Sendable {
    let web: WebEnvironment
    static let cookieNoticeVersion = "1"

    func addRoutes(to group: RouterGroup<WharfRequestContext>) {
        group.get("/") { _, context in try await home(context.visitor ?? Visitor()) }
        group.get("pricing") { _, context in try await pricing(context.visitor ?? Visitor()) }
        group.get("privacy") { _, context in try await privacy(context.visitor ?? Visitor()) }
        group.get("terms") { _, context in
            web.renderer.page(
                "terms", titleKey: "terms_title", visitor: context.visitor ?? Visitor(),
                model: ["policyVersion": web.config.policyVersion])
        }
        group.get("cookies") { _, context in
            let visitor = context.visitor ?? Visitor()
            return web.renderer.page(
                "cookies", titleKey: "cookies_title", visitor: visitor, model: ["functional": visitor.functionalCookies]
            )
        }
        group.post("cookies") { request, context in try await saveCookieChoice(request, context.visitor ?? Visitor()) }
        group.get("contact") { _, context in
            let visitor = context.visitor ?? Visitor()
            return web.renderer.page(
                "contact", titleKey: "contact_title", visitor: visitor,
                model: ["form": ["email": visitor.user?.email ?? ""]])
        }
        group.post("contact") { _, context in try await contact(context.visitor ?? Visitor()) }
    }

    func home(_ visitor: Visitor) async throws -> Response {
        let prices = try await web.store.prices()
        return web.renderer.page(
            "home", titleKey: "title_home", visitor: visitor,
            model: [
                "baseURL": web.config.effectivePublicURL, "exampleModel": prices.keys.sorted().first ?? "gpt-4o-mini",
            ])
    }

    func pricing(_ visitor: Visitor) async throws -> Response {
        let prices = try await web.store.prices().sorted { $0.key < $1.key }.map { model, price in
            [
                "model": model, "input": WebFormat.money(price.inputPerMillion),
                "cached": WebFormat.money(price.cachedInputPerMillion),
                "cacheWrite": WebFormat.money(price.cacheWritePerMillion),
                "output": WebFormat.money(price.outputPerMillion),
            ]
        }
        return web.renderer.page(
            "pricing", titleKey: "pricing_title", visitor: visitor, model: ["prices": prices, "currency": "USD"])
    }

    /// The privacy policy, generated: the data map's categories with their purposes and retention, the enabled
    /// upstream providers with region and data policy, processors, and the policy version (promise P9).
    func privacy(_ visitor: Visitor) async throws -> Response {
        var byCategory: [DataMap.Category: (purposes: [String], retention: Set<DataMap.Retention>)] = [:]
        for table in DataMap.tables {
            for column in table.columns where column.personal || table.name == "usage_records" {
                var entry = byCategory[column.category] ?? ([], [])
                if !entry.purposes.contains(column.purpose) { entry.purposes.append(column.purpose) }
                entry.retention.insert(column.retention)
                byCategory[column.category] = entry
            }
        }
        let order: [DataMap.Category] = [.account, .access, .payment, .usage, .support, .consent]
        let categories = order.compactMap { category -> [String: String]? in
            guard let entry = byCategory[category] else { return nil }
            return [
                "name": visitor.text("cat_\(category.rawValue)"),
                "items": entry.purposes.joined(separator: "; "),
                "retention": entry.retention.map {
                    // The days come from the same setting the retention job enforces.
                    visitor.text("ret_\($0.rawValue)").replacingOccurrences(
                        of: "{days}", with: web.config.retention.days(for: $0).map { "\($0)" } ?? "")
                }.sorted().joined(separator: "; "),
            ]
        }
        let schedule = web.config.retention.entries.map { entry -> [String: String] in
            [
                "name": entry.name, "what": visitor.text("sched_\(entry.name)"),
                "days": visitor.text("days_count").replacingOccurrences(of: "{days}", with: "\(entry.days)"),
            ]
        }
        let channels = try await web.store.channels().filter { $0.status == .enabled }
        var seen = Set<String>()
        let upstreams = channels.compactMap { c -> [String: String]? in
            let key = "\(c.provider.rawValue)|\(c.region)|\(c.dataPolicy.tags)"
            guard seen.insert(key).inserted else { return nil }
            return [
                "provider": c.provider.rawValue, "region": c.region,
                "retains": visitor.text(c.dataPolicy.retains ? "yes" : "no"),
                "trains": visitor.text(c.dataPolicy.trains ? "yes" : "no"),
            ]
        }
        var processors = [visitor.text("processor_hosting")]
        if web.config.smtpHost != nil { processors.append(visitor.text("processor_email")) }
        let gateways = try await web.store.paymentGateways().filter(\.enabled)
        if !gateways.isEmpty {
            let kinds = Set(gateways.map(\.kind)).sorted().joined(separator: ", ")
            processors.append(visitor.text("processor_payments").replacingOccurrences(of: "{names}", with: kinds))
        }
        return web.renderer.page(
            "privacy", titleKey: "privacy_title", visitor: visitor,
            model: [
                "policyVersion": web.config.policyVersion, "categories": categories, "upstreams": upstreams,
                "schedule": schedule,
                "processors": processors,
            ])
    }

    /// Saves the cookie choice in the essential consent cookie (and, signed in, as a consent record), and drops the
    /// language cookie when functional cookies are refused.
    func saveCookieChoice(_ request: Request, _ visitor: Visitor) async throws -> Response {
        let functional = visitor.form.isChecked("functional")
        guard web.admitAttempt("cookies", visitor) else {
            throw WebFailure(status: .tooManyRequests, messageKey: "err_rate_limited")
        }
        try await web.store.recordConsent(
            userID: visitor.user?.id, functional: functional, analytics: false, noticeVersion: Self.cookieNoticeVersion)
        var response = WebRedirect(location: "/cookies?notice=notice_cookies_saved").response
        let value = (functional ? "f1" : "f0") + ".v" + Self.cookieNoticeVersion
        response.headers.append(
            HTTPField(
                name: .setCookie, value: web.cookie(WebSessionMiddleware.consentCookie, value, maxAge: 365 * 86_400)))
        if !functional {
            response.headers.append(
                HTTPField(name: .setCookie, value: web.expiredCookie(WebSessionMiddleware.languageCookie)))
        } else {
            response.headers.append(
                HTTPField(
                    name: .setCookie,
                    value: web.cookie(
                        WebSessionMiddleware.languageCookie, visitor.language.rawValue, maxAge: 365 * 86_400)))
        }
        return response
    }

    /// Stores a contact-form message for the support inbox.
    func contact(_ visitor: Visitor) async throws -> Response {
        let form = visitor.form
        let email = form["email"] ?? ""
        let subject = form["subject"] ?? ""
        let message = form["message"] ?? ""
        let values = ["email": email, "subject": subject, "message": message]
        func again(_ key: String) -> Response {
            web.renderer.page(
                "contact", titleKey: "contact_title", visitor: visitor,
                model: ["form": values, "error": visitor.text(key)], status: .badRequest)
        }
        guard !subject.isEmpty, !message.isEmpty else { return again("err_required") }
        guard let address = EmailAddress(email) else { return again("err_email_invalid") }
        guard SupportPagesController.fits(subject: subject, body: message) else { return again("err_too_long") }
        guard web.admitAttempt("contact", visitor) else { return again("err_rate_limited") }
        try await web.store.createSupportMessage(
            userID: visitor.user?.id, email: address.value, subject: subject, body: message)
        return web.renderer.message(
            headingKey: "notice_contact_sent_title", textKey: "notice_contact_sent_text", visitor: visitor,
            link: ("/", "go_home"))
    }
}
