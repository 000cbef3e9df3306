/// An HTTP request to make to a gateway. The server executes it; this module only builds it.
public struct GatewayRequest: Sendable, CustomStringConvertible {
    /// `GET` or `POST`.
    public var method: String
    /// The absolute URL.
    public var url: String
    /// Header fields in order.
    public var headers: [(String, String)]
    /// The body, or nil for none.
    public var body: [UInt8]?

    /// A request.
    public init(method: String, url: String, headers: [(String, String)] = [], body: [UInt8]? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// The value of the first header named `name` (case-insensitive), or nil.
    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// The method, the URL with the values of `key=`, `sign=`, `hash=`, `signature=` replaced by `***` (see
    /// ``GatewayURL/redacted(_:)``), the header names with any `Authorization` value replaced by `***`, and the
    /// body length (never the body, which may hold the key).
    public var description: String {
        var text = method + " " + GatewayURL.redacted(url)
        if !headers.isEmpty {
            let shown = headers.map { name, value in
                name.lowercased() == "authorization" ? "\(name): \(GatewayURL.mask)" : "\(name): \(value)"
            }
            text += " [" + GatewayURL.redacted(shown.joined(separator: ", ")) + "]"
        }
        if let body { text += " (body \(body.count) bytes)" }
        return text
    }
}
