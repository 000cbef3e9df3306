/// One Epay v1 merchant account.
public struct EpayConfig: Sendable {
    /// The gateway root, e.g. `https://pay.example.com` (a trailing `/` is ignored).
    public var baseURL: String
    /// The merchant id (`pid`).
    public var merchantID: String
    /// The merchant key (MD5 secret; also sent in clear to `api.php`).
    public var key: String
    /// How the key is appended when signing.
    public var signStyle: MD5Signing.SecretStyle

    /// A configuration.
    public init(baseURL: String, merchantID: String, key: String, signStyle: MD5Signing.SecretStyle = .plain) {
        self.baseURL = baseURL
        self.merchantID = merchantID
        self.key = key
        self.signStyle = signStyle
    }
}
