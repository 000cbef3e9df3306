import Foundation
import Hummingbird
import NIOCore
import WharfCore

/// An error answered in OpenAI's shape: `{"error":{"message","type","param","code"}}` with the matching status.
///
/// Messages say what is wrong in the client's terms and never contain upstream URLs, keys, prices or content.
public struct OpenAIError: HTTPResponseError, Sendable, Equatable {
    public var status: HTTPResponse.Status
    public var message: String
    public var type: String
    public var code: String?
    public var param: String?

    /// Creates an error.
    public init(
        _ status: HTTPResponse.Status, _ message: String, type: String, code: String? = nil, param: String? = nil
    ) {
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
    }

    /// The JSON body.
    public var body: String {
        func q(_ s: String?) -> String { s.map { JSONText.quotedString($0) } ?? "null" }
        return
            "{\"error\":{\"message\":\(q(message)),\"type\":\(q(type)),\"param\":\(q(param)),\"code\":\(q(code))}}"
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func invalidKey(_ message: String = "Incorrect API key provided.") -> OpenAIError {
        OpenAIError(.unauthorized, message, type: "invalid_request_error", code: "invalid_api_key")
    }
    static func invalidRequest(_ message: String, param: String? = nil) -> OpenAIError {
        OpenAIError(.badRequest, message, type: "invalid_request_error", code: nil, param: param)
    }
    static func modelNotFound(_ model: String) -> OpenAIError {
        OpenAIError(
            .notFound, "The model '\(model)' does not exist or you do not have access to it.",
            type: "invalid_request_error", code: "model_not_found", param: "model")
    }
    /// The model is served, but by no channel whose region and data policy satisfy the key's (or its account's)
    /// transfer constraints; nothing was sent upstream.
    static func noCompliantChannel(model: String, _ transfer: TransferConstraints) -> OpenAIError {
        OpenAIError(
            .forbidden,
            "No channel serving the model '\(model)' satisfies this key's data-transfer constraints (\(transfer.summary)); nothing was sent upstream (no_compliant_channel).",
            type: "invalid_request_error", code: "no_compliant_channel", param: "model")
    }
    static let insufficientQuota = OpenAIError(
        .tooManyRequests, "You exceeded your current quota: your balance or this key's spending limit is too low.",
        type: "insufficient_quota", code: "insufficient_quota")
}
