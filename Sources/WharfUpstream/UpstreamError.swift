/// Why a request did not get an answer from any upstream. Carries no upstream body, URL or key.
public enum UpstreamError: Error, Equatable, Sendable {
    /// Every attempted channel failed; `lastStatus` is the last upstream HTTP status, if any answered.
    case allFailed(attempts: Int, lastStatus: Int?)
    /// No channel could be tried (all circuits open or none admitted).
    case noneAvailable
    /// The upstream refused the request itself (a 4xx other than 401/403/408/429), reduced to status/type/code.
    case rejected(ReducedUpstreamError)

    /// Whether a non-2xx `status` is the channel's failure (the next channel is tried): 5xx, 429, 408, and 401/403
    /// (the channel's key is wrong or blocked). Informational and redirect statuses are no answer a client can use.
    /// Any other 4xx is the client's own error and ends the request.
    public static func failsOver(status: Int) -> Bool {
        status >= 500 || status < 400 || status == 429 || status == 408 || status == 401 || status == 403
    }
}

/// An upstream error body reduced to what may be shown and logged: status, type and code. Never the message, which
/// may echo the prompt.
public struct ReducedUpstreamError: Equatable, Sendable {
    public var status: Int
    public var type: String?
    public var code: String?

    /// Reduces an upstream error body. `type` and `code` are kept only when they look like identifiers (letters,
    /// digits, `_`, `-`, `.`; at most 64 characters), so free text cannot pass through them.
    public init(status: Int, body: [UInt8]) {
        self.status = status
        func identifier(_ raw: String?) -> String? {
            guard let raw, !raw.isEmpty, raw.count <= 64,
                raw.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) })
            else { return nil }
            return raw
        }
        let fields = ReducedUpstreamError.errorFields(body)
        type = identifier(fields.type)
        code = identifier(fields.code)
    }

    static func errorFields(_ body: [UInt8]) -> (type: String?, code: String?) {
        guard let top = try? JSONObjectScannerShim.members(body) else { return (nil, nil) }
        if let error = top["error"], let inner = try? JSONObjectScannerShim.members(error) {
            return (
                inner["type"].flatMap(JSONObjectScannerShim.string), inner["code"].flatMap(JSONObjectScannerShim.string)
            )
        }
        return (top["type"].flatMap(JSONObjectScannerShim.string), top["code"].flatMap(JSONObjectScannerShim.string))
    }
}
