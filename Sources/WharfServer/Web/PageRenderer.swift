import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import WharfCore

/// Renders pages: the Mustache library of ``Templates`` (parsed once at start), the shared page model (language
/// table, account, CSRF token, cookie banner), and the security headers every page carries.
public struct PageRenderer: Sendable {
    let library: MustacheLibrary

    /// The content type every template is rendered under: Mustache's own HTML escaper compares whole characters
    /// (grapheme clusters), so a quote or bracket joined to a mark or a Unicode "Prepend" character passed through
    /// it raw. This one escapes with ``HTMLEscaping/escape(_:)``, byte by byte.
    struct ScalarHTML: MustacheContentType {
        func escapeText(_ text: String) -> String { HTMLEscaping.escape(text) }
    }

    static let contentTypeName = "WHARF_HTML"
    /// Put before every template's text. Mustache starts every partial (and every parent a template inherits from)
    /// in its own HTML type again, so each registered template carries the pragma, not just the page.
    static let pragma = "{{% CONTENT_TYPE: \(contentTypeName)}}"

    /// The only names a template may print unescaped (`{{{name}}}`): SVG the server draws itself, whose text is
    /// escaped by ``SVGBarChart``.
    static let rawNames: Set<String> = ["requestsChart", "costChart"]

    /// Parses every template; a template that does not parse, or that prints anything but ``rawNames`` unescaped,
    /// stops the server at start.
    public init() throws {
        MustacheContentTypes.register(ScalarHTML(), named: Self.contentTypeName)
        var library = MustacheLibrary()
        for (name, text) in Templates.all {
            try Self.checkNoRawValues(text, template: name)
            try library.register(Self.pragma + text, named: name)
        }
        self.library = library
    }

    /// A template's unescaped tags (`{{{name}}}` and `{{& name}}`) name only ``rawNames``.
    static func checkNoRawValues(_ text: String, template: String) throws {
        var rest = Substring(text)
        while let open = rest.firstRange(of: "{{") {
            rest = rest[open.upperBound...]
            guard let first = rest.first, first == "{" || first == "&" else { continue }
            let inner = rest.dropFirst()
            let name = inner.prefix { $0 != "}" }.trimmingCharacters(in: .whitespaces)
            guard rawNames.contains(name) else { throw UnescapedTemplateValue(template: template, name: name) }
        }
    }

    /// A template prints a value unescaped that is not one of ``rawNames``.
    struct UnescapedTemplateValue: Error, CustomStringConvertible {
        let template: String
        let name: String
        var description: String { "template \(template) prints {{{\(name)}}} unescaped" }
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
    ///
    /// `formActions` adds origins the page's forms may post (or be redirected) to, beside the site itself;
    /// `scriptHashes` allows inline scripts by their `sha256-…` hash (the Epay hand-off's auto-submit).
    func page(
        _ name: String, titleKey: String, visitor: Visitor, model: [String: Any] = [:],
        status: HTTPResponse.Status = .ok, formActions: [String] = [], scriptHashes: [String] = []
    ) -> Response {
        var full = baseModel(visitor, title: visitor.text(titleKey))
        for (k, v) in model { full[k] = v }
        let html = library.render(full, withTemplate: name) ?? ""
        // Telegram's login widget is the one script a page may load, and only where the model asks for it.
        return Self.html(
            html, status: status, telegramWidget: full["telegramBotName"] != nil, formActions: formActions,
            scriptHashes: scriptHashes)
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
    static func html(
        _ text: String, status: HTTPResponse.Status, telegramWidget: Bool = false, formActions: [String] = [],
        scriptHashes: [String] = []
    ) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        var scripts = scriptHashes.map { "'\($0)'" }
        if telegramWidget { scripts.append("https://telegram.org") }
        let widget = telegramWidget ? "; frame-src https://oauth.telegram.org" : ""
        let scriptSource = scripts.isEmpty ? "" : "; script-src " + scripts.joined(separator: " ")
        // Origins come from the operator's gateway URLs, reduced to scheme://host[:port] by the caller.
        let actions = (["'self'"] + formActions).joined(separator: " ")
        headers[.contentSecurityPolicy] =
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action \(actions); frame-ancestors 'none'; base-uri 'none'"
            + scriptSource + widget
        headers[.xContentTypeOptions] = "nosniff"
        headers[.cacheControl] = "no-store"
        if let referrer = HTTPField.Name("Referrer-Policy") { headers[referrer] = "same-origin" }
        if let frame = HTTPField.Name("X-Frame-Options") { headers[frame] = "DENY" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
