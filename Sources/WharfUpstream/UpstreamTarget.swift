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
    /// The base URL's path, such as `/v1`, without a trailing slash.
    let pathPrefix: String
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
        let parsed = UpstreamOrigin.parse(baseURL: b)
        // A key with a control character (a line break could smuggle a field), or a host or path that is not plain
        // visible ASCII, makes a channel that is never sent to.
        let headerSafe = !apiKey.utf8.contains { $0 < 0x20 || $0 == 0x7F }
        let visible = { (text: String) in text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F } }
        let usable = parsed.map { headerSafe && visible($0.origin.hostHeader) && visible($0.pathPrefix) } ?? false
        origin = usable ? parsed?.origin : nil
        pathPrefix = parsed?.pathPrefix ?? ""
        let host = parsed?.origin.hostHeader ?? ""
        fixedFields = Array(
            ("host: \(host)\r\ncontent-type: application/json\r\naccept: application/json, text/event-stream\r\n"
                + "\(authHeader.name): \(authHeader.value)\r\n").utf8)
    }

    /// The head of a JSON `POST` to `path` (such as `/chat/completions`) on this channel, for a body of `length`
    /// bytes, as it goes on the wire.
    public func postHead(_ path: String, contentLength length: Int) -> ByteBuffer {
        var head = ByteBuffer()
        // Room for a body small enough to be sent in the same buffer (see UpstreamConnection.send).
        let body = length <= UpstreamConnection.copiedBodyLimit ? length : 0
        head.reserveCapacity(fixedFields.count + pathPrefix.utf8.count + path.utf8.count + 48 + body)
        head.writeStaticString("POST ")
        head.writeString(pathPrefix)
        head.writeString(path)
        head.writeStaticString(" HTTP/1.1\r\n")
        head.writeBytes(fixedFields)
        head.writeStaticString("content-length: ")
        head.writeString(String(length))
        head.writeStaticString("\r\n\r\n")
        return head
    }

    /// The URL of an endpoint such as `/chat/completions` on this channel.
    public func url(_ path: String) -> String { base + path }
}
