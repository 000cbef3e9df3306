/// Why a send failed. ``isPermanent`` tells a caller whether retrying later can help.
///
/// The description names the kind, the SMTP command that failed (verb only), the reply code and enhanced
/// status code; it never contains the password, the message, or the server's reply text.
public struct SMTPError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The classes of failure.
    public enum Kind: Sendable, Hashable {
        /// The TCP connection could not be made or was closed by the server mid-conversation.
        case connect
        /// The conversation did not finish within ``SMTPSettings/timeoutMillis``.
        case timeout
        /// TLS could not be set up: `STARTTLS` not offered, handshake or certificate verification failed, or the
        /// extra CA file could not be read.
        case tls
        /// The server's replies did not follow the protocol.
        case protocolError
        /// The server rejected a command with this reply code.
        case rejected(code: Int)
        /// The server rejected the credentials (or the `AUTH` exchange) with this reply code.
        case authFailed(code: Int)
        /// Credentials are configured but the server offers neither `AUTH PLAIN` nor `AUTH LOGIN`.
        case authUnavailable
        /// Credentials would have been sent over an unencrypted connection to a host that is not loopback.
        case insecureAuthRefused
    }

    /// The class of failure.
    public let kind: Kind
    /// The SMTP command (verb only, e.g. `RCPT TO`) that failed, when the failure belongs to one.
    public let command: String?
    /// The enhanced status code from the reply (RFC 3463, e.g. `5.7.8`), when the server sent one.
    public let enhancedStatus: String?
    /// A short explanation written by this library (never the server's text, the password or the message).
    public let detail: String?

    /// Creates an error.
    public init(_ kind: Kind, command: String? = nil, enhancedStatus: String? = nil, detail: String? = nil) {
        self.kind = kind
        self.command = command
        self.enhancedStatus = enhancedStatus
        self.detail = detail
    }

    /// True when retrying the same mail later cannot help: a 5xx reply, TLS or authentication set-up problems.
    /// A 4xx reply, a connect failure, a timeout or a protocol error are transient.
    public var isPermanent: Bool {
        switch kind {
        case .rejected(let code), .authFailed(let code): code >= 500
        case .tls, .authUnavailable, .insecureAuthRefused: true
        case .connect, .timeout, .protocolError: false
        }
    }

    /// e.g. `SMTP rejected (451 4.3.0) after RCPT TO; transient`.
    public var description: String {
        var text = "SMTP "
        switch kind {
        case .connect: text += "connect failed"
        case .timeout: text += "timed out"
        case .tls: text += "TLS failed"
        case .protocolError: text += "protocol error"
        case .rejected(let code): text += "rejected (\(code)\(enhancedStatus.map { " " + $0 } ?? ""))"
        case .authFailed(let code): text += "authentication failed (\(code)\(enhancedStatus.map { " " + $0 } ?? ""))"
        case .authUnavailable: text += "authentication unavailable"
        case .insecureAuthRefused: text += "refused to authenticate over an unencrypted connection"
        }
        if let command { text += " after \(command)" }
        if let detail { text += ": \(detail)" }
        text += isPermanent ? "; permanent" : "; transient"
        return text
    }
}
