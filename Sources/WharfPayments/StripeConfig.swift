/// One Stripe account as Wharf uses it.
public struct StripeConfig: Sendable {
    /// The API root, `https://api.stripe.com` (a fake's address in tests; a trailing `/` is ignored).
    public var apiBase: String
    /// The secret API key (`sk_…` or a restricted `rk_…`), sent as a Bearer token.
    public var secretKey: String
    /// The webhook endpoint's signing secret (`whsec_…`), used as is.
    public var webhookSecret: String

    /// A configuration.
    public init(apiBase: String = "https://api.stripe.com", secretKey: String, webhookSecret: String) {
        self.apiBase = apiBase
        self.secretKey = secretKey
        self.webhookSecret = webhookSecret
    }
}
