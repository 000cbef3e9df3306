/// Error bodies in each client dialect. A message that holds an allowlisted phrase (``SafeErrorPhrase``) is
/// re-worded in the client's dialect, so Claude Code sees `prompt is too long…` even when an OpenAI channel
/// overflowed, and an OpenAI client sees `maximum context length…` (with code `context_length_exceeded`).
public enum ErrorEnvelope {
    /// {"error":{"message":…,"type":…,"param":null,"code":…}} with OpenAI type names (invalid_request_error,
    /// authentication_error, permission_error, not_found_error, rate_limit_error, server_error for api/overloaded).
    public static func openAI(_ error: IRError, code: String?) -> [UInt8] {
        let phrase = SafeErrorPhrase.find(in: error.message)
        let code = code ?? (phrase?.isContextOverflow == true ? "context_length_exceeded" : nil)
        return JSONValue.object([
            (
                "error",
                .object([
                    ("message", .string(phrase?.openAIMessage ?? error.message)),
                    ("type", .string(openAIType(error.kind))), ("param", .null),
                    ("code", code.map { .string($0) } ?? .null),
                ])
            )
        ]).encoded
    }

    /// {"type":"error","error":{"type":"invalid_request_error"|"authentication_error"|"permission_error"|
    /// "not_found_error"|"request_too_large"|"rate_limit_error"|"api_error"|"overloaded_error","message":…}}
    public static func anthropic(_ error: IRError) -> [UInt8] {
        let message = SafeErrorPhrase.find(in: error.message)?.anthropicMessage ?? error.message
        return JSONValue.object([
            ("type", .string("error")),
            ("error", .object([("type", .string(anthropicType(error.kind))), ("message", .string(message))])),
        ]).encoded
    }

    /// Anthropic's type name for a kind (also used by stream encoders).
    public static func anthropicType(_ kind: IRErrorKind) -> String {
        switch kind {
        case .invalidRequest: "invalid_request_error"
        case .authentication: "authentication_error"
        case .permission: "permission_error"
        case .notFound: "not_found_error"
        case .requestTooLarge: "request_too_large"
        case .rateLimit: "rate_limit_error"
        case .api: "api_error"
        case .overloaded: "overloaded_error"
        }
    }

    /// OpenAI's type name for a kind.
    public static func openAIType(_ kind: IRErrorKind) -> String {
        switch kind {
        case .invalidRequest, .requestTooLarge: "invalid_request_error"
        case .authentication: "authentication_error"
        case .permission: "permission_error"
        case .notFound: "not_found_error"
        case .rateLimit: "rate_limit_error"
        case .api, .overloaded: "server_error"
        }
    }

    /// A client body that could not be read, as an invalid-request error.
    public static func irError(_ error: TranslationError) -> IRError {
        IRError(kind: .invalidRequest, status: 400, message: error.message)
    }
}
