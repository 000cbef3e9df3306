import NIOHTTP1
import WharfCore

/// A channel ready to receive requests: its record, its opened upstream key, and precomputed request parts.
public final class UpstreamTarget: Sendable {
    /// The channel record.
    public let channel: Channel
    /// The upstream key, in memory only.
    let apiKey: String
    /// Base URL without a trailing slash.
    let base: String
    /// The authentication header name and value for this provider.
    let authHeader: (name: String, value: String)
    /// Scheme, host and port of the base URL; `nil` when the URL or the key cannot be used in a request (requests to
    /// it then fail over).
    public let origin: UpstreamOrigin?
    /// The base URL's path, such as `/v1`, without a trailing slash.
    let pathPrefix: String
    /// The headers every relayed request to this channel carries (host, content type, accept, authentication).
    private let fixedHeaders: HTTPHeaders

    /// Prepares a channel.
    public init(channel: Channel, apiKey: String) {
        self.channel = channel
        self.apiKey = apiKey
        var b = channel.baseURL
        while b.hasSuffix("/") { b.removeLast() }
        base = b
        switch channel.provider {
        case .anthropic: authHeader = ("x-api-key", apiKey)
        case .gemini: authHeader = ("x-goog-api-key", apiKey)
        case .openai, .openaiCompatible: authHeader = ("authorization", "Bearer \(apiKey)")
        }
        let parsed = UpstreamOrigin.parse(baseURL: b)
        // A key with a line break or NUL could smuggle headers: such a channel is never sent to.
        let headerSafe = !apiKey.utf8.contains { $0 == 0x0A || $0 == 0x0D || $0 == 0x00 }
        origin = headerSafe ? parsed?.origin : nil
        pathPrefix = parsed?.pathPrefix ?? ""
        fixedHeaders = [
            "host": parsed?.origin.hostHeader ?? "", "content-type": "application/json",
            "accept": "application/json, text/event-stream", authHeader.name: authHeader.value,
        ]
    }

    /// The head of a JSON `POST` to `path` (such as `/chat/completions`) on this channel, for a body of `length` bytes.
    public func postHead(_ path: String, contentLength length: Int) -> HTTPRequestHead {
        var headers = fixedHeaders
        headers.add(name: "content-length", value: String(length))
        return HTTPRequestHead(version: .http1_1, method: .POST, uri: pathPrefix + path, headers: headers)
    }

    /// The URL of an endpoint such as `/chat/completions` on this channel.
    public func url(_ path: String) -> String { base + path }
}
