/// Why a callback or a gateway reply is refused. The ``description`` never contains a secret or a signature value:
/// the associated texts are fixed phrases written in this module, never text taken from a request or a reply.
public enum PaymentRejection: Error, Sendable, Equatable, CustomStringConvertible {
    /// Unparseable body or parameters, duplicate parameter names, parameters both in the query and the body, a body
    /// over a size limit, or a required field missing.
    case malformed(String)
    /// The configured secret is empty (or only whitespace): fail closed rather than accept what an empty key signs.
    case missingSecret
    /// The signature is missing or does not match.
    case badSignature
    /// The signed timestamp is outside the accepted window (Stripe), in the past or in the future.
    case staleTimestamp
    /// The merchant identity in the message (`pid`, `appid`) is not the configured one.
    case wrongMerchant
    /// Something we do not handle, or a gateway that refused the call.
    case unsupported(String)

    /// A short English explanation, safe to log.
    public var description: String {
        switch self {
        case .malformed(let why): "malformed payment message: \(why)"
        case .missingSecret: "the gateway secret is not configured"
        case .badSignature: "the payment message signature is missing or wrong"
        case .staleTimestamp: "the payment message timestamp is outside the accepted window"
        case .wrongMerchant: "the payment message is for another merchant"
        case .unsupported(let what): "unsupported payment message: \(what)"
        }
    }
}
