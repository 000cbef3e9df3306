/// One epusdt-protocol server (BEpusdt, assimon/epusdt or a fork).
public struct EpusdtConfig: Sendable {
    /// The server root, e.g. `https://usdt.example.com` (a trailing `/` is ignored).
    public var baseURL: String
    /// The API token (MD5 secret).
    public var token: String

    /// A configuration.
    public init(baseURL: String, token: String) {
        self.baseURL = baseURL
        self.token = token
    }
}
