import WharfCore

import struct NIOCore.ByteBuffer

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
    /// The base URL's path, such as `/v1`, without a trailing slash. For Anthropic and Gemini channels, whose paths
    /// carry their version (`/v1/messages`, `/v1beta/models/...`), a trailing version segment of the base URL is
    /// dropped: both `https://api.anthropic.com` and `https://api.anthropic.com/v1` work.
    let pathPrefix: String
    /// The dialect the channel speaks.
    public let dialect: Dialect
    /// The field lines every relayed request to this channel carries (host, content type, accept, authentication),
    /// encoded once.
    private let fixedFields: [UInt8]

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
        dialect = Dialect(provider: channel.provider)
        let parsed = UpstreamOrigin.parse(baseURL: b)
        // A key with a control character (a line break could smuggle a field), or a host or path that is not plain
        // visible ASCII, makes a channel that is never sent to.
        let headerSafe = !apiKey.utf8.contains { $0 < 0x20 || $0 == 0x7F }
        let visible = { (text: String) in text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F } }
        let usable = parsed.map { headerSafe && visible($0.origin.hostHeader) && visible($0.pathPrefix) } ?? false
        origin = usable ? parsed?.origin : nil
        pathPrefix = Self.prefix(parsed?.pathPrefix ?? "", dropping: dialect)
        let host = parsed?.origin.hostHeader ?? ""
        fixedFields = Array(
            ("host: \(host)\r\ncontent-type: application/json\r\naccept: application/json, text/event-stream\r\n"
                + "\(authHeader.name): \(authHeader.value)\r\n").utf8)
    }

    /// The head of a JSON `POST` to `path` (such as `/chat/completions`) on this channel, for a body of `length`
    /// bytes, as it goes on the wire.
    ///
    /// `extraFields` are more field lines (each ending in CRLF), such as `anthropic-version` for an Anthropic channel.
    public func postHead(_ path: String, contentLength length: Int, extraFields: String = "") -> ByteBuffer {
        var head = ByteBuffer()
        // Room for a body small enough to be sent in the same buffer (see UpstreamConnection.send).
        let body = length <= UpstreamConnection.copiedBodyLimit ? length : 0
        head.reserveCapacity(
            fixedFields.count + pathPrefix.utf8.count + path.utf8.count + 48 + body + extraFields.utf8.count)
        head.writeStaticString("POST ")
        head.writeString(pathPrefix)
        head.writeString(path)
        head.writeStaticString(" HTTP/1.1\r\n")
        head.writeBytes(fixedFields)
        head.writeString(extraFields)
        head.writeStaticString("content-length: ")
        head.writeString(String(length))
        head.writeStaticString("\r\n\r\n")
        return head
    }

    /// The URL of an endpoint such as `/chat/completions` on this channel (for an Anthropic or Gemini channel, a
    /// path with its version, such as `/v1/messages`: see ``pathPrefix``).
    public func url(_ path: String) -> String { Self.prefix(base, dropping: dialect) + path }

    /// The Anthropic version sent when the client names none.
    public static let defaultAnthropicVersion = "2023-06-01"

    /// The field lines an Anthropic channel's request carries from the client: `anthropic-version` (the client's,
    /// else ``defaultAnthropicVersion``) and `anthropic-beta`, unchanged. A value that is not plain visible text (a
    /// line break could smuggle a field) is not sent.
    public static func anthropicFields(version: String?, beta: String?) -> String {
        func safe(_ value: String?) -> String? {
            guard let value, !value.isEmpty, value.utf8.count <= 4096,
                value.utf8.allSatisfy({ ($0 >= 0x20 && $0 < 0x7F) || $0 == 0x09 })
            else { return nil }
            return value
        }
        var fields = "anthropic-version: \(safe(version) ?? defaultAnthropicVersion)\r\n"
        if let beta = safe(beta) { fields += "anthropic-beta: \(beta)\r\n" }
        return fields
    }

    /// The base URL's path with the version segment the dialect's own paths carry removed from its end.
    static func prefix(_ path: String, dropping dialect: Dialect) -> String {
        let versions: [String]
        switch dialect {
        case .openAIChat: return path
        case .anthropicMessages: versions = ["/v1"]
        case .gemini: versions = ["/v1beta", "/v1"]
        }
        for version in versions where path.hasSuffix(version) {
            return String(path.dropLast(version.count))
        }
        return path
    }
}
