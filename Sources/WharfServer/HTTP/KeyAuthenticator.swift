import Foundation
import HTTPTypes
import Hummingbird
import WharfCore
import WharfStorage

/// Recognises the caller of the JSON APIs: the API key (from the in-memory snapshot, by hash), its expiry and
/// address allowlist, and the client address (peer, or forwarded by a trusted proxy).
public struct KeyAuthenticator: Sendable {
    let config: WharfConfig
    let clock: WharfClock

    /// Creates an authenticator.
    public init(config: WharfConfig, clock: WharfClock) {
        self.config = config
        self.clock = clock
    }

    /// Set by proxies; believed only from `trusted_proxies`.
    static let xForwardedFor = HTTPField.Name("x-forwarded-for")!  // startup: a constant, valid header name

    /// The client's address as the gateway sees it (see ``ClientAddress/effective(peer:forwardedFor:trustedProxies:)``).
    static func effectiveAddress(_ request: Request, _ context: WharfRequestContext, trustedProxies: [IPRange])
        -> String?
    {
        effectiveAddress(request.headers, peer: context.peerAddress, trustedProxies: trustedProxies)
    }

    /// The same, from the request's headers and the peer's address.
    static func effectiveAddress(_ headers: HTTPFields, peer: String?, trustedProxies: [IPRange]) -> String? {
        guard !trustedProxies.isEmpty else { return peer }
        return ClientAddress.effective(
            peer: peer, forwardedFor: headers[xForwardedFor], trustedProxies: trustedProxies)
    }

    func clientAddress(_ request: Request, _ context: WharfRequestContext) -> String? {
        Self.effectiveAddress(request, context, trustedProxies: config.trustedProxies)
    }

    /// Anthropic clients send their key here.
    static let xAPIKey = HTTPField.Name("x-api-key")!  // startup: a constant, valid header name

    /// The caller's key, checked against expiry and the client's address (see ``clientAddress(_:_:)``).
    func authenticate(_ request: Request, address: String?, _ snapshot: RuntimeSnapshot) throws(OpenAIError)
        -> RuntimeSnapshot.Key
    {
        try authenticate(request.headers, address: address, snapshot)
    }

    /// The same, from the request's headers.
    func authenticate(_ headers: HTTPFields, address: String?, _ snapshot: RuntimeSnapshot) throws(OpenAIError)
        -> RuntimeSnapshot.Key
    {
        var token: Substring?
        if let auth = headers[.authorization] {
            let parts = auth.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                token = parts[1].drop(while: { $0 == " " })
            }
        } else if let apiKey = headers[Self.xAPIKey] {
            token = Substring(apiKey)
        }
        guard let token else {
            throw OpenAIError.invalidKey(
                "You didn't provide an API key. Provide it in the Authorization header (Bearer sk-...).")
        }
        guard APIKeySecret.looksValid(token), let key = snapshot.keys[KeyHasher.hash(token)] else {
            throw OpenAIError.invalidKey()
        }
        if key.policy.isExpired(nowMillis: clock.nowMillis()) {
            throw OpenAIError.invalidKey("This API key has expired.")
        }
        guard key.policy.allows(address: address) else {
            throw OpenAIError(
                .forbidden, "This API key may not be used from your network address.", type: "permission_error",
                code: "ip_not_allowed")
        }
        return key
    }

}
