/// Where and how ``SMTPClient`` delivers mail.
public struct SMTPSettings: Sendable {
    /// The server's host name or IP address; also the name its certificate is verified against.
    public var host: String
    /// The TCP port (25, 465, 587, ...).
    public var port: Int
    /// How the connection is protected.
    public var security: SMTPSecurity
    /// The user for `AUTH`; no authentication when `nil`.
    public var username: String?
    /// The password for `AUTH`. Never logged and never part of an error's description.
    public var password: String?
    /// The name sent with `EHLO`/`HELO`.
    public var heloName: String
    /// The limit for the whole conversation, connect to `QUIT`, in milliseconds.
    public var timeoutMillis: Int64
    /// A PEM file with extra trusted CA certificates (for a private relay or tests), trusted besides the
    /// system roots.
    public var caCertificatePEMPath: String?

    /// Creates settings; `heloName` defaults to `localhost` and the timeout to 15 seconds.
    public init(
        host: String,
        port: Int,
        security: SMTPSecurity,
        username: String? = nil,
        password: String? = nil,
        heloName: String = "localhost",
        timeoutMillis: Int64 = 15_000,
        caCertificatePEMPath: String? = nil
    ) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.heloName = heloName
        self.timeoutMillis = timeoutMillis
        self.caCertificatePEMPath = caCertificatePEMPath
    }
}

extension SMTPSettings: CustomStringConvertible {
    /// The settings with the password shown as `[REDACTED]`.
    public var description: String {
        "SMTPSettings(host: \(host), port: \(port), security: \(security.rawValue), username: \(username ?? "nil"), "
            + "password: \(password == nil ? "nil" : "[REDACTED]"), heloName: \(heloName), "
            + "timeoutMillis: \(timeoutMillis), caCertificatePEMPath: \(caCertificatePEMPath ?? "nil"))"
    }
}
