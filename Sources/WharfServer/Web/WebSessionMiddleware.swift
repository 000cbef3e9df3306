import Foundation
import HTTPTypes
import Hummingbird
import Logging
import WharfCore
import WharfStorage

/// Runs before every website, console and admin route:
/// - finds the session from the `wharf_session` cookie (idle and absolute timeouts enforced by the store);
/// - picks the language (`?lang=`, the account's choice, the functional cookie, then `Accept-Language`);
/// - reads a POSTed form (bounded, strict UTF-8) and rejects it with 403 unless its `_csrf` field matches the
///   session's token (or, signed out, the `wharf_csrf` cookie: double submit);
/// - turns ``WebFailure`` and ``WebRedirect`` into pages, and any other error into a generic error page (logged
///   without request content);
/// - sets cookies HttpOnly, SameSite=Lax, and Secure when configured.
struct WebSessionMiddleware: RouterMiddleware {
    typealias Context = WharfRequestContext

    static let sessionCookie = "wharf_session"
    static let csrfCookie = "wharf_csrf"
    static let consentCookie = "wharf_consent"
    static let languageCookie = "wharf_lang"
    static let maxFormBytes = 64 * 1024

    let web: WebEnvironment

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var request = request
        var context = context
        var visitor = Visitor()
        let cookies = request.cookies
        visitor.clientAddress = KeyAuthenticator.effectiveAddress(
            request, context, trustedProxies: web.config.trustedProxies)
        visitor.adminAddressAllowed =
            visitor.clientAddress.map { address in web.config.adminAllowlist.contains { $0.contains(address) } }
            ?? false

        if let token = cookies[Self.sessionCookie]?.value, SessionTokens.isWellFormed(token),
            let (session, user) = try await web.sessions.live(id: SessionTokens.storedID(token))
        {
            visitor.user = user
            visitor.session = session
            visitor.csrfToken = SessionTokens.csrf(forSession: token)
        } else {
            if cookies[Self.sessionCookie] != nil { visitor.newCookies.append(web.expiredCookie(Self.sessionCookie)) }
            if let token = cookies[Self.csrfCookie]?.value, SessionTokens.isWellFormed(token) {
                visitor.csrfToken = token
            } else {
                visitor.csrfToken = SessionTokens.generate()
                visitor.newCookies.append(web.cookie(Self.csrfCookie, visitor.csrfToken, maxAge: nil))
            }
        }
        if let consent = cookies[Self.consentCookie]?.value {
            visitor.consentChosen = true
            visitor.functionalCookies = consent.hasPrefix("f1")
        }
        visitor.language = try await chooseLanguage(request, &visitor)
        visitor.noticeKey = request.uri.queryParameters.get("notice").map { String($0) }
        visitor.siteNotice = try await web.store.setting(SiteSettings.siteNotice)

        if request.method == .post {
            do {
                visitor.form = try await readForm(&request)
                guard let sent = visitor.form.raw("_csrf"), SessionTokens.constantTimeEqual(sent, visitor.csrfToken)
                else { throw WebFailure.csrf }
            } catch let failure as WebFailure {
                return finish(
                    web.renderer.message(
                        headingKey: "title_error", textKey: failure.messageKey, visitor: visitor, status: failure.status
                    ),
                    visitor)
            }
        }
        context.visitor = visitor
        do {
            return finish(try await next(request, context), visitor)
        } catch let redirect as WebRedirect {
            return finish(redirect.response, visitor)
        } catch let failure as WebFailure {
            return finish(
                web.renderer.message(
                    headingKey: "title_error", textKey: failure.messageKey, visitor: visitor, status: failure.status),
                visitor)
        } catch let error as HTTPResponseError where error.status == .notFound {
            return finish(
                web.renderer.message(
                    headingKey: "title_error", textKey: "err_not_found", visitor: visitor, status: .notFound), visitor)
        } catch {
            // The error's type only: its text could quote what the visitor typed.
            web.logger.error(
                "page failed", metadata: ["path": "\(request.uri.path)", "error_type": "\(type(of: error))"])
            return finish(
                web.renderer.message(
                    headingKey: "title_error", textKey: "err_server", visitor: visitor, status: .internalServerError),
                visitor)
        }
    }

    /// The visitor's language; a `?lang=` choice is remembered on the account, or in the functional cookie when the
    /// visitor allowed it.
    func chooseLanguage(_ request: Request, _ visitor: inout Visitor) async throws -> Language {
        if let tag = request.uri.queryParameters.get("lang"), let chosen = Language(tag: tag) {
            if let user = visitor.user, user.language != chosen.rawValue {
                try await web.store.setPreferences(
                    userID: user.id, language: chosen.rawValue, notifyLogin: user.notifyLogin)
            } else if visitor.user == nil, visitor.functionalCookies {
                visitor.newCookies.append(web.cookie(Self.languageCookie, chosen.rawValue, maxAge: 365 * 86_400))
            }
            return chosen
        }
        if let tag = visitor.user?.language, let language = Language(tag: tag) { return language }
        if visitor.functionalCookies, let tag = request.cookies[Self.languageCookie]?.value,
            let language = Language(tag: tag)
        {
            return language
        }
        return Language.negotiate(acceptLanguage: request.headers[.acceptLanguage])
    }

    /// Reads an `application/x-www-form-urlencoded` body of at most 64 KiB.
    func readForm(_ request: inout Request) async throws -> FormFields {
        let type = request.headers[.contentType]?.lowercased() ?? ""
        guard type.hasPrefix("application/x-www-form-urlencoded") else { throw WebFailure.badForm }
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: Self.maxFormBytes)
        } catch {
            throw WebFailure.formTooLarge
        }
        guard let form = FormFields(urlEncoded: body.readableBytesView) else { throw WebFailure.badForm }
        return form
    }

    /// `response` with the visitor's cookies added, except one the response sets itself: signing in with a stale
    /// session cookie would otherwise send the new session cookie and then the stale one's deletion, and the browser,
    /// applying them in order, would drop the session it was just given.
    func finish(_ response: Response, _ visitor: Visitor) -> Response {
        var response = response
        let setByResponse = Set(response.headers[values: .setCookie].map(Self.cookieName))
        for cookie in visitor.newCookies where !setByResponse.contains(Self.cookieName(cookie)) {
            response.headers.append(HTTPField(name: .setCookie, value: cookie))
        }
        return response
    }

    /// The name of the cookie a `Set-Cookie` value sets.
    static func cookieName(_ setCookie: String) -> Substring {
        setCookie.prefix { $0 != "=" && $0 != ";" }
    }
}
