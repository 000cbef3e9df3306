import WharfCore

extension OpenAIError {
    /// The error's body in `dialect`: OpenAI's envelope, or Anthropic's
    /// `{"type":"error","error":{"type","message"}}` with Anthropic's type names.
    func body(in dialect: Dialect) -> String {
        switch dialect {
        case .openAIChat, .gemini: body
        case .anthropicMessages:
            "{\"type\":\"error\",\"error\":{\"type\":\(JSONText.quotedString(anthropicType)),\"message\":"
                + "\(JSONText.quotedString(message))}}"
        }
    }

    /// Anthropic's error type for the status (the Anthropic SDKs and Claude Code read it).
    var anthropicType: String {
        switch status.code {
        case 400, 422: "invalid_request_error"
        case 401: "authentication_error"
        case 402, 403: "permission_error"
        case 404: "not_found_error"
        case 413: "request_too_large"
        case 429: "rate_limit_error"
        case 503, 529: "overloaded_error"
        default: "api_error"
        }
    }

    /// Whether a client should retry: Wharf's own refusals say so (`x-should-retry`, which the Anthropic and OpenAI
    /// SDKs obey). A balance or spending limit too low, a bad key or a bad request will not change by retrying; a
    /// rate limit, a busy gateway or failed upstreams may.
    var shouldRetry: Bool {
        if code == "insufficient_quota" { return false }
        switch status.code {
        case 408, 409, 429, 500...599: return true
        default: return false
        }
    }

    /// Seconds to wait before retrying, for `retry-after` (a rate limit only).
    var retryAfterSeconds: Int? {
        guard status.code == 429, code == "rate_limit_exceeded" else { return nil }
        // The message says "retry in N s."; the figure is Wharf's own.
        let digits = message.split(separator: " ").compactMap { Int($0) }
        return digits.first.map { max(1, $0) }
    }

    /// The extra response fields of the error: `x-should-retry`, and `retry-after` on a rate limit.
    var retryFields: [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = [("x-should-retry", shouldRetry ? "true" : "false")]
        if let seconds = retryAfterSeconds { fields.append(("retry-after", String(seconds))) }
        return fields
    }
}
