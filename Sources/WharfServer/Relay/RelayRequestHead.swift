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
            contentLength: headers.first(name: "content-length").flatMap(Int.init),
            authorization: headers.first(name: "authorization"), apiKey: headers.first(name: "x-api-key"),
            forwardedFor: Self.joined(headers["x-forwarded-for"]),
            closeAfterAnswer: !head.isKeepAlive || head.version.major < 1
                || (head.version.major == 1 && head.version.minor == 0))
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
}

/// A request part as the ``RelayFrontHandler`` takes it.
enum RelayRequestPart {
    /// The head of an API call the fast path read.
    case relayHead(RelayRequestHead)
    /// A part as NIO's decoder gives it (the fast path gives bodies and ends this way too).
    case decoded(HTTPServerRequestPart)
}
