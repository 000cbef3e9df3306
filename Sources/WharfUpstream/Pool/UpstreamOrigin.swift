import Foundation

/// Where connections to one upstream go: scheme, host and port. Connections are pooled per origin.
public struct UpstreamOrigin: Hashable, Sendable {
    /// `true` for https.
    public let tls: Bool
    /// Host name or address literal, without brackets.
    public let host: String
    /// TCP port.
    public let port: Int
    /// The `Host` header value.
    public let hostHeader: String
    /// Hashed once: the pool looks connections up by origin on every request.
    private let hash: Int

    /// An origin.
    public init(tls: Bool, host: String, port: Int, hostHeader: String) {
        self.tls = tls
        self.host = host
        self.port = port
        self.hostHeader = hostHeader
        var hasher = Hasher()
        hasher.combine(tls)
        hasher.combine(host)
        hasher.combine(port)
        hasher.combine(hostHeader)
        hash = hasher.finalize()
    }

    public static func == (a: UpstreamOrigin, b: UpstreamOrigin) -> Bool {
        a.hash == b.hash && a.tls == b.tls && a.port == b.port && a.host == b.host && a.hostHeader == b.hostHeader
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(hash) }

    /// Splits a base URL such as `https://api.example.com/v1` into its origin and path prefix (`/v1`, or empty).
    /// `nil` when the URL is not http(s) or has no host.
    public static func parse(baseURL: String) -> (origin: UpstreamOrigin, pathPrefix: String)? {
        guard let url = URLComponents(string: baseURL), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", var host = url.host, !host.isEmpty
        else { return nil }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let tls = scheme == "https"
        let port = url.port ?? (tls ? 443 : 80)
        let bracketed = host.contains(":") ? "[\(host)]" : host
        let defaultPort = (tls && port == 443) || (!tls && port == 80)
        var prefix = url.percentEncodedPath
        while prefix.hasSuffix("/") { prefix.removeLast() }
        return (
            UpstreamOrigin(
                tls: tls, host: host, port: port, hostHeader: defaultPort ? bracketed : "\(bracketed):\(port)"),
            prefix
        )
    }

    /// Whether `host` is an IP address literal (TLS then sends no server name and checks the address).
    var hostIsAddress: Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }
}
