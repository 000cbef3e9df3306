import Crypto
import Foundation
import NIOSSL
import X509

/// A throwaway CA and a server certificate it signed for `localhost` and `127.0.0.1`, made fresh per test run.
/// Shared by the mail and upstream tests.
public struct TestCertificates: Sendable {
    /// The CA certificate as PEM, for `SMTPSettings.caCertificatePEMPath`.
    public let caPEM: String
    /// A server TLS context presenting the leaf certificate.
    public let serverContext: NIOSSLContext

    /// Generates the CA and the leaf with P-256 keys.
    public static func make() throws -> TestCertificates {
        let now = Date()
        let caKey = P256.Signing.PrivateKey()
        let caName = try DistinguishedName { CommonName("Wharf Test CA") }
        let ca = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: .init(caKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(86_400),
            issuer: caName,
            subject: caName,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: .init(caKey)
        )
        let leafKey = P256.Signing.PrivateKey()
        let leaf = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: .init(leafKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(86_400),
            issuer: caName,
            subject: try DistinguishedName { CommonName("localhost") },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames([.dnsName("localhost"), .ipAddress(.init(contentBytes: [127, 0, 0, 1]))])
            },
            issuerPrivateKey: .init(caKey)
        )
        let leafPEM = try leaf.serializeAsPEM().pemString
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(try NIOSSLCertificate(bytes: Array(leafPEM.utf8), format: .pem))],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(leafKey.pemRepresentation.utf8), format: .pem))
        )
        return TestCertificates(
            caPEM: try ca.serializeAsPEM().pemString,
            serverContext: try NIOSSLContext(configuration: configuration)
        )
    }

    /// A client TLS context that trusts only the throwaway CA.
    public func clientContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(caPEM.utf8)))
        return try NIOSSLContext(configuration: configuration)
    }

    /// Writes the CA PEM to a new temporary file and returns its path.
    public func writeCAFile() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "wharf-test-ca-\(UUID().uuidString).pem")
        try caPEM.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }
}
