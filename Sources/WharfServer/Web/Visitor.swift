import WharfCore
import WharfStorage

/// Holds a ``Visitor`` for ``WharfRequestContext`` (set once per page request, never mutated).
final class VisitorBox: Sendable {
    let visitor: Visitor
    init(_ visitor: Visitor) { self.visitor = visitor }
}

/// The person behind a page request: language, account and session when signed in, the CSRF token their forms must
/// carry, the parsed form of a POST, and their cookie choice.
public struct Visitor: Sendable {
    /// The language pages and messages are shown in.
    public var language: Language = .english
    /// The signed-in account, if any.
    public var user: UserRecord?
    /// The session, when signed in.
    public var session: WebSessionRecord?
    /// The token every state-changing form must send back as `_csrf`.
    public var csrfToken = ""
    /// The fields of a POSTed form (checked for the CSRF token before any handler runs).
    public var form = FormFields()
    /// Whether the visitor made a cookie choice, and whether it allows the functional (language) cookie.
    public var consentChosen = false
    public var functionalCookies = false
    /// The effective client address (the peer, or what a trusted proxy forwarded).
    public var clientAddress: String?
    /// Whether that address is in the admin allowlist.
    public var adminAddressAllowed = false
    /// A confirmation to show (a `notice_…` translation key from the query, after a redirect).
    public var noticeKey: String?
    /// The operator's announcement shown on every page, if any.
    public var siteNotice: String?
    /// Cookies to set on the response.
    var newCookies: [String] = []

    /// Creates an anonymous visitor.
    public init() {}

    /// The text of a translation key in the visitor's language.
    public func text(_ key: String) -> String { Translations.text(key, language) }
}
