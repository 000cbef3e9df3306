import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import WharfCore

/// Renders pages: the Mustache library of ``Templates`` (parsed once at start), the shared page model (language
/// table, account, CSRF token, cookie banner), and the security headers every page carries.
public struct PageRenderer: Sendable {
    let library: MustacheLibrary

    /// Parses every template; a template that does not parse stops the server at start.
    public init() throws {
        var library = MustacheLibrary()
        for (name, text) in Templates.all {
            try library.register(text, named: name)
        }
        self.library = library
    }

    /// The page model every template can use, for `visitor`.
    func baseModel(_ visitor: Visitor, title: String) -> [String: Any] {
        var model: [String: Any] = [
            "t": visitor.language.strings,
            "lang": visitor.language.rawValue,
            "title": title,
            "csrf": visitor.csrfToken,
            "consentBanner": !visitor.consentChosen,
            "languages": Language.allCases.map {
                ["tag": $0.rawValue, "name": $0.nativeName, "current": $0 == visitor.language] as [String: Any]
            },
        ]
        if let key = visitor.noticeKey, key.hasPrefix("notice_"), visitor.language.strings[key] != nil {
            model["notice"] = visitor.text(key)
        }
        if let notice = visitor.siteNotice { model["siteNotice"] = notice }
        if let user = visitor.user {
            model["user"] = ["username": user.username, "isStaff": user.role >= .support] as [String: Any]
        }
        return model
    }

    /// A page from template `name` with `model` merged over the shared model.
    func page(
        _ name: String, titleKey: String, visitor: Visitor, model: [String: Any] = [:],
        status: HTTPResponse.Status = .ok
    ) -> Response {
        var full = baseModel(visitor, title: visitor.text(titleKey))
        // Everything but the site's own translations (`t`) may hold what someone typed (the site notice, names).
        for (k, v) in full where k != "t" { full[k] = Self.defused(v) }
        for (k, v) in model { full[k] = Self.defused(v) }
        let html = library.render(full, withTemplate: name) ?? ""
        // Telegram's login widget is the one script a page may load, and only where the model asks for it.
        return Self.html(html, status: status, telegramWidget: full["telegramBotName"] != nil)
    }

    /// `value` with every string made safe for Mustache's escaper (see ``defuse(_:)``).
    static func defused(_ value: Any) -> Any {
        switch value {
        case let text as String: return defuse(text)
        case let list as [Any]: return list.map(defused)
        case let map as [String: Any]: return map.mapValues(defused)
        case let map as [String: String]: return map.mapValues(defuse)
        case let list as [[String: String]]: return list.map { $0.mapValues(defuse) }
        case let list as [[String: Any]]: return list.map { $0.mapValues(defused) }
        default: return value
        }
    }

    /// The characters Mustache escapes.
    static let escaped: Set<Unicode.Scalar> = ["\"", "'", "<", ">", "&"]

    /// `text` made safe for Mustache's escaper, which works on whole characters (grapheme clusters): a quote, angle
    /// bracket or ampersand joined to other scalars in one character is not escaped. Marks after it (a combining
    /// accent) and characters before it that join the next one (Unicode "Prepend", such as U+0600) both do that. In
    /// a character holding one of `" ' < > &` and anything else, only that scalar is kept, so the escaper sees it
    /// bare. Repeated until every such scalar stands alone in the rebuilt text (one pass suffices; the check is
    /// cheap).
    static func defuse(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value > 0x7F }) else { return text }
        var out = text
        for _ in 0..<4 {
            var changed = false
            var rebuilt = String.UnicodeScalarView()
            for character in out {
                let scalars = character.unicodeScalars
                if scalars.count > 1, scalars.contains(where: { escaped.contains($0) }) {
                    rebuilt.append(contentsOf: scalars.filter { escaped.contains($0) })
                    changed = true
                } else {
                    rebuilt.append(contentsOf: scalars)
                }
            }
            out = String(rebuilt)
            if !changed { return out }
        }
        // Not reached for any text seen; never hand the escaper a joined special character.
        return String(String.UnicodeScalarView(out.unicodeScalars.filter { $0.value < 0x80 }))
    }

    /// A page with a heading and a paragraph.
    func message(
        headingKey: String, textKey: String, visitor: Visitor, link: (href: String, key: String)? = nil,
        status: HTTPResponse.Status = .ok
    ) -> Response {
        var model: [String: Any] = ["heading": visitor.text(headingKey), "text": visitor.text(textKey)]
        if let link {
            model["linkHref"] = link.href
            model["linkText"] = visitor.text(link.key)
        }
        return page("message", titleKey: headingKey, visitor: visitor, model: model, status: status)
    }

    /// An HTML response with the page security headers: a content security policy that allows no script and no
    /// inline style, no framing, no sniffing, no referrer to other sites, and no caching of personal pages.
    static func html(_ text: String, status: HTTPResponse.Status, telegramWidget: Bool = false) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        let widget = telegramWidget ? "; script-src https://telegram.org; frame-src https://oauth.telegram.org" : ""
        headers[.contentSecurityPolicy] =
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
            + widget
        headers[.xContentTypeOptions] = "nosniff"
        headers[.cacheControl] = "no-store"
        if let referrer = HTTPField.Name("Referrer-Policy") { headers[referrer] = "same-origin" }
        if let frame = HTTPField.Name("X-Frame-Options") { headers[frame] = "DENY" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
