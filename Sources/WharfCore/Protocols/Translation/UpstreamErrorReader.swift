/// Reads an upstream error body of any dialect (OpenAI {"error":{message,type,code}}, Anthropic
/// {"type":"error","error":{type,message}}, Gemini {"error":{code,message,status}}) plus its HTTP status into an
/// IRError whose message is NEVER the upstream text, except allowlisted safe phrases: context length exceeded
/// (Anthropic "prompt is too long: N tokens > M maximum", OpenAI "This model's maximum context length is ...",
/// code context_length_exceeded), max_tokens too large / "max_tokens must be greater than thinking.budget_tokens".
/// For an allowlisted phrase keep only the phrase with its numbers (re-built from parsed numbers, not copied), never
/// any other part of the upstream text (no prompt echo). Otherwise a fixed Wharf message per kind
/// ("The upstream provider rejected the request (status 400, invalid_request_error)." and so on).
/// Kind from status: 400 invalidRequest, 401 authentication, 403 permission, 404 notFound, 413 requestTooLarge,
/// 429 rateLimit, 529/503 overloaded, other 5xx api; refine by the upstream's type string when it is a known one.
///
/// The returned status is the upstream's when it is an error status (400–599), else the kind's usual one. An
/// allowlisted phrase is kept in the upstream's wording; ``ErrorEnvelope`` re-words it for the client's dialect.
public enum UpstreamErrorReader {
    /// The error for an upstream answer of `status` with `body`.
    public static func read(status: Int, body: [UInt8]) -> IRError {
        let root = try? JSONValue.parse(body)
        let error = root?["error"]
        let typeName = error?["type"]?.string ?? error?["status"]?.string
        let code = error?["code"]?.string
        var kind = Self.kind(status: status)
        if let refined = (typeName.flatMap(Self.kind(type:)) ?? code.flatMap(Self.kind(type:))) { kind = refined }
        let errorStatus = (400...599).contains(status) ? status : canonicalStatus(kind)
        if let phrase = safePhrase(in: root) {
            let anthropic = root?["type"]?.string == "error"
            return IRError(
                kind: .invalidRequest, status: errorStatus,
                message: anthropic ? phrase.anthropicMessage : phrase.openAIMessage)
        }
        return IRError(kind: kind, status: errorStatus, message: message(kind: kind, status: errorStatus))
    }

    /// The allowlisted phrase an upstream error body carries (context overflow, `max_tokens` limits), if any; the
    /// relay rewords it in the client's dialect so its client can react (Claude Code compacts on "prompt is too long").
    public static func safePhrase(status: Int, body: [UInt8]) -> SafeErrorPhrase? {
        safePhrase(in: try? JSONValue.parse(body))
    }

    static func safePhrase(in root: JSONValue?) -> SafeErrorPhrase? {
        let error = root?["error"]
        let typeName = error?["type"]?.string ?? error?["status"]?.string
        let code = error?["code"]?.string
        if let phrase = SafeErrorPhrase.find(in: error?["message"]?.string ?? "") { return phrase }
        if code == "context_length_exceeded" || typeName == "context_length_exceeded" {
            return .contextExceeded(maximum: nil)
        }
        return nil
    }

    /// The kind an HTTP status means.
    public static func kind(status: Int) -> IRErrorKind {
        switch status {
        case 401: .authentication
        case 403: .permission
        case 404: .notFound
        case 413: .requestTooLarge
        case 429: .rateLimit
        case 503, 529: .overloaded
        case 500...599: .api
        default: .invalidRequest
        }
    }

    /// The kind a known upstream type, code or status string means; nil for others.
    static func kind(type: String) -> IRErrorKind? {
        switch type {
        case "invalid_request_error", "INVALID_ARGUMENT", "FAILED_PRECONDITION", "OUT_OF_RANGE": .invalidRequest
        case "authentication_error", "invalid_api_key", "UNAUTHENTICATED": .authentication
        case "permission_error", "PERMISSION_DENIED": .permission
        case "not_found_error", "model_not_found", "NOT_FOUND": .notFound
        case "request_too_large": .requestTooLarge
        case "rate_limit_error", "rate_limit_exceeded", "insufficient_quota", "RESOURCE_EXHAUSTED": .rateLimit
        case "api_error", "server_error", "INTERNAL": .api
        case "overloaded_error", "overloaded", "UNAVAILABLE": .overloaded
        default: nil
        }
    }

    /// The usual HTTP status of a kind.
    public static func canonicalStatus(_ kind: IRErrorKind) -> Int {
        switch kind {
        case .invalidRequest: 400
        case .authentication: 401
        case .permission: 403
        case .notFound: 404
        case .requestTooLarge: 413
        case .rateLimit: 429
        case .api: 500
        case .overloaded: 529
        }
    }

    /// Wharf's fixed message for a kind.
    public static func message(kind: IRErrorKind, status: Int) -> String {
        let tail = "(status \(status), \(ErrorEnvelope.anthropicType(kind)))."
        return switch kind {
        case .invalidRequest: "The upstream provider rejected the request \(tail)"
        case .authentication: "The upstream provider did not accept the channel's credentials \(tail)"
        case .permission: "The upstream provider refused access to this model or feature \(tail)"
        case .notFound: "The upstream provider did not find the model or resource \(tail)"
        case .requestTooLarge: "The request is too large for the upstream provider \(tail)"
        case .rateLimit: "The upstream provider is rate limiting requests \(tail)"
        case .api: "The upstream provider failed to answer \(tail)"
        case .overloaded: "The upstream provider is overloaded \(tail)"
        }
    }
}
