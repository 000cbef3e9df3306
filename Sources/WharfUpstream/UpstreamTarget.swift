import WharfCore

/// A channel ready to receive requests: its record, its opened upstream key, and precomputed request parts.
public struct UpstreamTarget: Sendable {
    /// The channel record.
    public let channel: Channel
    /// The upstream key, in memory only.
    let apiKey: String
    /// Base URL without a trailing slash.
    let base: String
    /// The authentication header name and value for this provider.
    let authHeader: (name: String, value: String)

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
    }

    /// The URL of an endpoint such as `/chat/completions` on this channel.
    public func url(_ path: String) -> String { base + path }
}
