import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// A minimal browser for page scenarios: keeps cookies, never follows redirects (so scenarios see them), and reads
/// the CSRF token from the last page so forms can be posted the way a browser would post them.
final class WebBrowser: @unchecked Sendable {
    let origin: String
    var cookies: [String: String] = [:]
    var lastCSRF = ""
    var acceptLanguage: String?
    static let client = HTTPClient(
        eventLoopGroupProvider: .singleton,
        configuration: .init(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: .seconds(30)))
    )

    init(port: Int) { origin = "http://127.0.0.1:\(port)" }

    /// A page answer.
    struct Page {
        var status: Int
        var location: String?
        var body: String
        var contentType: String?
        var contentSecurityPolicy: String? = nil
        var setCookies: [String] = []
    }

    /// GETs `path`.
    @discardableResult
    func get(_ path: String) async throws -> Page {
        try await send(path, method: .GET, body: nil)
    }

    /// POSTs a form to `path`; the CSRF token of the last page is added unless `csrf` is false.
    @discardableResult
    func post(_ path: String, _ fields: [(String, String)], csrf: Bool = true) async throws -> Page {
        var all = fields
        if csrf { all.append(("_csrf", lastCSRF)) }
        return try await send(path, method: .POST, body: Self.encode(all))
    }

    /// POSTs raw bytes as a form (for malformed input).
    func postRaw(_ path: String, _ body: String) async throws -> Page {
        try await send(path, method: .POST, body: body)
    }

    static func encode(_ fields: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return fields.map {
            "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
        }.joined(separator: "&")
    }

    func send(_ path: String, method: HTTPMethod, body: String?, headers: [(String, String)] = []) async throws
        -> Page
    {
        var request = HTTPClientRequest(url: origin + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if !cookies.isEmpty {
            request.headers.add(name: "cookie", value: cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))
        }
        if let acceptLanguage { request.headers.add(name: "accept-language", value: acceptLanguage) }
        request.headers.add(name: "user-agent", value: "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36")
        if let body {
            request.headers.add(name: "content-type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await Self.client.execute(request, timeout: .seconds(30))
        for header in response.headers["set-cookie"] {
            let pair = header.split(separator: ";")[0].split(
                separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { continue }
            let name = String(pair[0])
            if header.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = String(pair[1]) }
        }
        let text = String(buffer: try await response.body.collect(upTo: 1 << 24))
        if let range = text.range(of: #"name="_csrf" value="([^"]+)""#, options: .regularExpression) {
            let match = String(text[range])
            lastCSRF = String(match.dropFirst(#"name="_csrf" value=""#.count).dropLast())
        }
        return Page(
            status: Int(response.status.code), location: response.headers.first(name: "location"), body: text,
            contentType: response.headers.first(name: "content-type"),
            contentSecurityPolicy: response.headers.first(name: "content-security-policy"),
            setCookies: response.headers["set-cookie"])
    }

    /// Registers and signs in a new account; returns after the sign-in redirect.
    func signUpAndIn(email: String, username: String, password: String = "a long password 1") async throws {
        try await get("/register")
        let registered = try await post(
            "/register",
            [("email", email), ("username", username), ("password", password), ("age", "on"), ("policy", "on")])
        #expect(registered.status == 200, "\(registered.body)")
        try await signIn(email: email, password: password)
    }

    /// Signs in.
    func signIn(email: String, password: String = "a long password 1") async throws {
        try await get("/login")
        let page = try await post("/login", [("email", email), ("password", password)])
        #expect(page.status == 303, "sign-in failed: \(page.status)")
    }
}
