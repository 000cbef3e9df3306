import NIOCore
import NIOPosix
import NIOSSL

/// Builds the TLS pieces for a connection: certificates verified against the system roots plus the optional extra
/// CA, and the server host name checked against the certificate.
enum SMTPTLS {
    /// A client context for `settings`.
    static func makeContext(settings: SMTPSettings) throws(SMTPError) -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .fullVerification
        configuration.minimumTLSVersion = .tlsv12
        if let path = settings.caCertificatePEMPath {
            do {
                let certificates = try NIOSSLCertificate.fromPEMFile(path)
                guard !certificates.isEmpty else {
                    throw SMTPError(.tls, detail: "the CA certificate file holds no certificate")
                }
                configuration.additionalTrustRoots = [.certificates(certificates)]
            } catch let error as SMTPError {
                throw error
            } catch {
                throw SMTPError(.tls, detail: "cannot read the CA certificate file")
            }
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw SMTPError(.tls, detail: "cannot create the TLS context")
        }
    }

    /// The name to send in SNI and verify: `nil` for an IP literal (then NIOSSL checks the certificate's IP
    /// addresses against the connected peer).
    static func serverHostname(for host: String) -> String? {
        isIPAddress(host) ? nil : host
    }

    /// True when `host` is an IPv4 or IPv6 literal.
    static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: unbracketed(host), port: 0)) != nil
    }

    /// True for `localhost`, `127.0.0.0/8` and `::1`: the only hosts credentials may be sent to without TLS.
    static func isLoopback(_ host: String) -> Bool {
        let plain = unbracketed(host).lowercased()
        if plain == "localhost" || plain.hasSuffix(".localhost") { return true }
        guard let address = try? SocketAddress(ipAddress: plain, port: 0) else { return false }
        switch address {
        case .v4: return plain.hasPrefix("127.")
        case .v6: return address.ipAddress == "::1"
        default: return false
        }
    }

    private static func unbracketed(_ host: String) -> String {
        host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
    }
}
