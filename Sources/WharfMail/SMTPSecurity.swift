/// How the connection to the SMTP server is protected.
public enum SMTPSecurity: String, Sendable {
    /// Plain TCP. Credentials are then only sent to a loopback host.
    case none
    /// Plain TCP upgraded with `STARTTLS` (usually port 587). Required: the send fails if the server does not
    /// offer it.
    case startTLS = "starttls"
    /// Implicit TLS from the first byte (usually port 465).
    case tls
}
