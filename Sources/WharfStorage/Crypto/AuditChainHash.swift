import Crypto
import Foundation

/// How an audit row's hash is computed (promise P8, issue 11 finding 6).
///
/// A row's hash covers the previous row's hash and every field of the row, length-prefixed so that no two
/// different rows hash alike. Rows are keyed: HMAC-SHA256 under a key derived from a master key (``SecretBox``), so
/// someone who can write the database but does not hold the master key cannot recompute the chain after editing a
/// row. The stored form is `k1.<master key id>.<hex>`; the key id says which key of the ring made it, so rotation
/// leaves older rows verifiable. Rows written before keying (`<hex>` of plain SHA-256) are re-keyed once at upgrade
/// (see ``WharfStore/upgradeAuditChain(anchor:)``) and never accepted after that.
public enum AuditChainHash {
    static let keyedPrefix = "k1."
    static let purpose = "wharf audit chain v1"

    /// The length-prefixed bytes the hash covers.
    static func message(
        prevHash: String, seq: Int64, createdAt: Int64, actorID: String?, action: String, target: String?,
        detail: String
    ) -> [UInt8] {
        var out: [UInt8] = []
        for field in [prevHash, String(seq), String(createdAt), actorID ?? "-", action, target ?? "-", detail] {
            let bytes = Array(field.utf8)
            out += Array(String(bytes.count).utf8) + [0x3A] + bytes
        }
        return out
    }

    /// The keyed hash of a row under the box's primary master key.
    public static func keyed(
        _ secrets: SecretBox, prevHash: String, seq: Int64, createdAt: Int64, actorID: String?, action: String,
        target: String?, detail: String
    ) -> String {
        keyed(
            secrets, keyID: secrets.primaryKeyID, prevHash: prevHash, seq: seq, createdAt: createdAt,
            actorID: actorID, action: action, target: target, detail: detail) ?? ""
    }

    static func keyed(
        _ secrets: SecretBox, keyID: String, prevHash: String, seq: Int64, createdAt: Int64, actorID: String?,
        action: String, target: String?, detail: String
    ) -> String? {
        guard let key = secrets.derivedKey(purpose, keyID: keyID) else { return nil }
        let mac = HMAC<SHA256>.authenticationCode(
            for: message(
                prevHash: prevHash, seq: seq, createdAt: createdAt, actorID: actorID, action: action, target: target,
                detail: detail),
            using: key)
        return keyedPrefix + keyID + "." + Data(mac).hexString
    }

    /// Whether `hash` is the keyed hash of the row under any key of the ring (constant-time compare).
    public static func matches(
        _ hash: String, _ secrets: SecretBox, prevHash: String, seq: Int64, createdAt: Int64, actorID: String?,
        action: String, target: String?, detail: String
    ) -> Bool {
        guard hash.hasPrefix(keyedPrefix) else { return false }
        let keyID = hash.dropFirst(keyedPrefix.count).prefix { $0 != "." }
        guard
            let expected = keyed(
                secrets, keyID: String(keyID), prevHash: prevHash, seq: seq, createdAt: createdAt, actorID: actorID,
                action: action, target: target, detail: detail)
        else { return false }
        return constantTimeEqual(Array(expected.utf8), Array(hash.utf8))
    }

    /// The unkeyed SHA-256 hash rows had before keying; read only to check a chain before it is re-keyed.
    public static func legacy(
        prevHash: String, seq: Int64, createdAt: Int64, actorID: String?, action: String, target: String?,
        detail: String
    ) -> String {
        Data(
            SHA256.hash(
                data: message(
                    prevHash: prevHash, seq: seq, createdAt: createdAt, actorID: actorID, action: action,
                    target: target, detail: detail))
        ).hexString
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}

extension SecretBox {
    /// A key for `purpose` derived (HKDF-SHA256) from master key `keyID` of the ring, so that no other use of the
    /// master key shares it; nil when the ring has no such key.
    public func derivedKey(_ purpose: String, keyID: String) -> SymmetricKey? {
        guard let master = keys[keyID] else { return nil }
        return HKDF<SHA256>.deriveKey(
            inputKeyMaterial: master, salt: Data("wharf".utf8), info: Data(purpose.utf8), outputByteCount: 32)
    }
}

extension Data {
    var hexString: String { map { String(format: "%02x", $0) }.joined() }
}
