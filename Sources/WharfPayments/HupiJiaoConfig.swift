/// One HupiJiao (xunhupay) app.
public struct HupiJiaoConfig: Sendable {
    /// The gateway root, e.g. `https://api.xunhupay.com` (a trailing `/` is ignored).
    public var baseURL: String
    /// The APPID.
    public var appID: String
    /// The APPSECRET (MD5 secret).
    public var secret: String

    /// A configuration.
    public init(baseURL: String, appID: String, secret: String) {
        self.baseURL = baseURL
        self.appID = appID
        self.secret = secret
    }
}
