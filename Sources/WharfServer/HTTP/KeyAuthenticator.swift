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
        effectiveAddress(
            peer: context.peerAddress, forwardedFor: request.headers[xForwardedFor], trustedProxies: trustedProxies)
    }

    /// The same, from the peer's address and the request's `X-Forwarded-For` header.
    static func effectiveAddress(peer: String?, forwardedFor: @autoclosure () -> String?, trustedProxies: [IPRange])
        -> String?
    {
        guard !trustedProxies.isEmpty else { return peer }
        return ClientAddress.effective(peer: peer, forwardedFor: forwardedFor(), trustedProxies: trustedProxies)
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
        try authenticate(
            authorization: request.headers[.authorization], apiKey: request.headers[Self.xAPIKey], address: address,
            snapshot)
    }

    /// The same, from the `Authorization` and `X-Api-Key` header values.
    func authenticate(authorization: String?, apiKey: String?, address: String?, _ snapshot: RuntimeSnapshot)
        throws(OpenAIError) -> RuntimeSnapshot.Key
    {
        try check(lookUp(authorization: authorization, apiKey: apiKey, snapshot), address: address)
    }

    /// The key a connection's last request named, good while the snapshot it was found in is current: the requests
    /// of one connection nearly always carry the same key, so it is hashed and looked up once.
    struct KeyMemo {
        let authorization: String?
        let apiKey: String?
        let generation: UInt64
        let key: RuntimeSnapshot.Key
    }

    /// The same, reusing the key found for the same header values in the same snapshot. Expiry and the address
    /// allowlist are checked on every request.
    func authenticate(
        authorization: String?, apiKey: String?, address: String?, _ snapshot: RuntimeSnapshot, memo: inout KeyMemo?
    ) throws(OpenAIError) -> RuntimeSnapshot.Key {
        if let known = memo, known.generation == snapshot.generation, known.authorization == authorization,
            known.apiKey == apiKey
        {
            return try check(known.key, address: address)
        }
        let key = try lookUp(authorization: authorization, apiKey: apiKey, snapshot)
        memo = KeyMemo(authorization: authorization, apiKey: apiKey, generation: snapshot.generation, key: key)
        return try check(key, address: address)
    }

    /// The active key named by the headers: `Authorization: Bearer`, else `X-Api-Key` (Anthropic clients). When both
    /// are sent (a client may hold a real provider key in one of them), the first that is a Wharf key is used: a
    /// second hash only in that rare case.
    private func lookUp(authorization: String?, apiKey: String?, _ snapshot: RuntimeSnapshot) throws(OpenAIError)
        -> RuntimeSnapshot.Key
    {
        let bearer = authorization.flatMap(Self.bearerToken)
        let header = apiKey.map { Substring($0) }
        guard bearer != nil || header != nil else {
            throw OpenAIError.invalidKey(
                "You didn't provide an API key. Provide it in the Authorization header (Bearer sk-...) or in X-Api-Key."
            )
        }
        for token in [bearer, header] {
            guard let token, APIKeySecret.looksValid(token) else { continue }
            if let key = snapshot.keys[KeyHasher.hash(token)] { return key }
        }
        throw OpenAIError.invalidKey()
    }

    /// The key's expiry and address allowlist.
    private func check(_ key: RuntimeSnapshot.Key, address: String?) throws(OpenAIError) -> RuntimeSnapshot.Key {
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

    /// The token of `Bearer <token>` (scheme in any case, spaces after it skipped), compared byte by byte.
    static func bearerToken(_ value: String) -> Substring? {
        let utf8 = value.utf8
        guard utf8.count > 7 else { return nil }
        var i = utf8.startIndex
        for expected in "bearer".utf8 {
            guard utf8[i] | 0x20 == expected else { return nil }
            i = utf8.index(after: i)
        }
        guard utf8[i] == UInt8(ascii: " ") else { return nil }
        while i < utf8.endIndex && utf8[i] == UInt8(ascii: " ") { i = utf8.index(after: i) }
        return value[i...]
    }

}
