import NIOHTTP1

/// What the relay reads from the head of a request it relays: the endpoint, the declared length, the credential and
/// how the connection carries on. Made by ``RelayFastRequest`` straight from the bytes, or from the head NIO's
/// decoder gave; the relay never needs the other fields.
struct RelayRequestHead: Equatable {
    var endpoint: RelayEngine.Endpoint
    var version: HTTPVersion
    /// `Content-Length`, when present and a number.
    var contentLength: Int?
    /// `Authorization`.
    var authorization: String?
    /// `X-Api-Key`.
    var apiKey: String?
    /// `X-Forwarded-For`.
    var forwardedFor: String?
    /// `anthropic-version`: forwarded unchanged to Anthropic channels (and nowhere else).
    var anthropicVersion: String?
    /// `anthropic-beta` (every line, joined): forwarded unchanged to Anthropic channels (and nowhere else).
    var anthropicBeta: String?
    /// The connection closes once this request is answered: the client asked to, or speaks HTTP/1.0, which has no
    /// chunked encoding (a streamed answer ends when the connection does).
    var closeAfterAnswer: Bool
    /// The client sent `Expect: 100-continue` and waits for `100 Continue` before its body.
    var expectContinue = false

    /// A head read from the bytes.
    init(
        endpoint: RelayEngine.Endpoint, version: HTTPVersion = .http1_1, contentLength: Int?,
        authorization: String? = nil, apiKey: String? = nil, forwardedFor: String? = nil, closeAfterAnswer: Bool
    ) {
        self.endpoint = endpoint
        self.version = version
        self.contentLength = contentLength
        self.authorization = authorization
        self.apiKey = apiKey
        self.forwardedFor = forwardedFor
        self.closeAfterAnswer = closeAfterAnswer
    }

    /// The fields of a head NIO's decoder gave.
    init(_ head: HTTPRequestHead, endpoint: RelayEngine.Endpoint) {
        let headers = head.headers
        self.init(
            endpoint: endpoint, version: head.version,
            contentLength: headers.first(name: "content-length").map(Self.trimmed).flatMap(Int.init),
            // NIO keeps whitespace at the end of a value; it is not part of it (RFC 9110, 5.5), and the fast reader
            // drops it too, so both readers give the same credential.
            authorization: headers.first(name: "authorization").map(Self.trimmed),
            apiKey: headers.first(name: "x-api-key").map(Self.trimmed),
            forwardedFor: Self.joined(headers["x-forwarded-for"].map(Self.trimmed)),
            closeAfterAnswer: !head.isKeepAlive || head.version.major < 1
                || (head.version.major == 1 && head.version.minor == 0))
        anthropicVersion = headers.first(name: "anthropic-version").map(Self.trimmed)
        anthropicBeta = Self.joined(headers["anthropic-beta"].map(Self.trimmed))
        expectContinue =
            head.version == .http1_1
            && headers[canonicalForm: "expect"].contains { $0.lowercased() == "100-continue" }
    }
}

extension RelayRequestHead {
    /// Every line of a list field, joined as one value (`X-Forwarded-For` may come in several lines); nil without any.
    static func joined(_ lines: [String]) -> String? {
        lines.isEmpty ? nil : lines.joined(separator: ",")
    }

    /// A field value without the spaces and tabs around it.
    static func trimmed(_ value: String) -> String {
        let ows: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = value.firstIndex(where: { !ows($0) }), let last = value.lastIndex(where: { !ows($0) }) else {
            return ""
        }
        return String(value[first...last])
    }
}

/// A request part as the ``RelayFrontHandler`` takes it.
enum RelayRequestPart {
    /// The head of an API call the fast path read.
    case relayHead(RelayRequestHead)
    /// A part as NIO's decoder gives it (the fast path gives bodies and ends this way too).
    case decoded(HTTPServerRequestPart)
}
