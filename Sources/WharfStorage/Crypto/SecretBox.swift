import Crypto
import Foundation
import WharfCore

/// Encrypts secrets at rest (upstream API keys, and later payment secrets, SMTP passwords, TOTP seeds) with
/// AES-256-GCM (promise P4).
///
/// A sealed value is text: `v1:<key id>:<base64 of nonce ‖ ciphertext ‖ tag>`. The key id names the master key that
/// sealed it, so keys can be rotated without downtime: new values are sealed with the primary key, and any key of
/// the ring opens values sealed with it. The caller binds each value to where it is stored (for example
/// `channels/<id>/api_key`) as associated data, so a ciphertext copied to another row does not open.
public struct SecretBox: Sendable {
    /// Master keys by id.
    let keys: [String: SymmetricKey]
    /// The id of the key that seals new values.
    public let primaryKeyID: String

    /// Creates a box from a ring of 32-byte keys; the first is primary.
    public init(keys: [[UInt8]]) throws(SecretBoxError) {
        guard let first = keys.first else { throw .noKey }
        var ring: [String: SymmetricKey] = [:]
        for raw in keys {
            guard raw.count == 32 else { throw .badKeyLength(raw.count) }
            ring[Self.keyID(of: raw)] = SymmetricKey(data: raw)
        }
        self.keys = ring
        primaryKeyID = Self.keyID(of: first)
    }

    /// A key's id: the first 8 hex digits of SHA-256 over the key (identifies it without revealing it).
    public static func keyID(of raw: [UInt8]) -> String {
        SHA256.hash(data: raw).prefix(4).map { String(format: "%02x", $0) }.joined()
    }

    /// Seals `plaintext`, bound to `context`.
    public func seal(_ plaintext: String, context: String) throws -> String {
        guard let key = keys[primaryKeyID] else { throw SecretBoxError.noKey }
        let box = try AES.GCM.seal(Data(plaintext.utf8), using: key, authenticating: Data(context.utf8))
        guard let combined = box.combined else { throw SecretBoxError.sealFailed }
        return "v1:\(primaryKeyID):\(combined.base64EncodedString())"
    }

    /// Opens a value sealed by ``seal(_:context:)`` with any key of the ring.
    public func open(_ sealed: String, context: String) throws -> String {
        let parts = sealed.split(separator: ":", maxSplits: 2)
        guard parts.count == 3, parts[0] == "v1", let data = Data(base64Encoded: String(parts[2])) else {
            throw SecretBoxError.malformed
        }
        guard let key = keys[String(parts[1])] else { throw SecretBoxError.unknownKey(String(parts[1])) }
        let box = try AES.GCM.SealedBox(combined: data)
        let plain = try AES.GCM.open(box, using: key, authenticating: Data(context.utf8))
        return String(decoding: plain, as: UTF8.self)
    }
}

/// Why a secret cannot be sealed or opened.
public enum SecretBoxError: Error, Equatable, CustomStringConvertible {
    case noKey
    case badKeyLength(Int)
    case sealFailed
    case malformed
    case unknownKey(String)

    public var description: String {
        switch self {
        case .noKey: "no master key is configured"
        case .badKeyLength(let n): "a master key must be 32 bytes (got \(n))"
        case .sealFailed: "encryption failed"
        case .malformed: "a stored secret is malformed"
        case .unknownKey(let id): "a stored secret was sealed with master key \(id), which is not configured"
        }
    }
}
