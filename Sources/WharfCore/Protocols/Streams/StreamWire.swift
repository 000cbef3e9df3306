/// Small helpers the stream encoders and decoders share: JSON text written straight into an output buffer, and the
/// dialects' names for finish reasons and error classes.
enum StreamWire {
    /// Appends `value` as a JSON string literal (``JSONText/appendQuoted(_:to:)``).
    static func appendQuoted(_ value: String, into out: inout [UInt8]) {
        JSONText.appendQuoted(value, to: &out)
    }

    /// Appends an integer's decimal text.
    static func appendInt(_ value: Int64, into out: inout [UInt8]) {
        out.append(contentsOf: String(value).utf8)
    }

    /// Appends an integer's decimal text.
    static func appendInt(_ value: Int, into out: inout [UInt8]) {
        out.append(contentsOf: String(value).utf8)
    }

    /// A tool-call id as Anthropic accepts it (`^[a-zA-Z0-9_-]+$`): other characters become `_`; an empty id becomes
    /// `fallback`.
    static func anthropicToolID(_ id: String, fallback: @autoclosure () -> String) -> String {
        guard !id.isEmpty else { return fallback() }
        let valid = id.utf8.allSatisfy(isIDByte)
        if valid { return id }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(id.utf8.count)
        for scalar in id.unicodeScalars {
            if scalar.isASCII, isIDByte(UInt8(scalar.value)) {
                bytes.append(UInt8(scalar.value))
            } else {
                bytes.append(UInt8(ascii: "_"))
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func isIDByte(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || c == 0x2D
    }

    /// The message shown for an upstream's in-stream error: Wharf's own words, never the upstream's.
    static let streamErrorMessage = "The upstream provider reported an error during the stream."
    /// The message shown when the upstream says it is overloaded.
    static let overloadedMessage = "The upstream provider is overloaded."
    /// The message of the error frame written when the upstream cut the stream.
    static let cutMessage = "The upstream provider ended the stream before it was complete; the answer is truncated."

    /// The IR error for an upstream's in-stream error object (`{"type","message",…}` or an OpenAI error object): the
    /// class from its `type` (or `code`, or HTTP-like `status`), the message Wharf's own.
    static func streamError(_ error: JSONValue?) -> IRError {
        let type = error?["type"]?.string ?? error?["code"]?.scalarText ?? error?["status"]?.scalarText ?? ""
        let kind =
            UpstreamErrorReader.kind(type: type) ?? Int(type).map { UpstreamErrorReader.kind(status: $0) } ?? .api
        return IRError(
            kind: kind, status: UpstreamErrorReader.canonicalStatus(kind),
            message: kind == .overloaded ? overloadedMessage : streamErrorMessage)
    }

    /// The OpenAI `error.type` and `error.code` of an error class.
    static func openAIErrorTypeAndCode(_ kind: IRErrorKind) -> (type: String, code: String) {
        switch kind {
        case .invalidRequest, .requestTooLarge: ("invalid_request_error", "upstream_invalid_request")
        case .authentication: ("server_error", "upstream_authentication")
        case .permission: ("server_error", "upstream_permission")
        case .notFound: ("invalid_request_error", "upstream_not_found")
        case .rateLimit: ("rate_limit_error", "upstream_rate_limited")
        case .api: ("server_error", "upstream_error")
        case .overloaded: ("server_error", "upstream_overloaded")
        }
    }
}
