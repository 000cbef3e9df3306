import Crypto
import Foundation
import WharfStorage

/// Checks Telegram Login Widget data (https://core.telegram.org/widgets/login#checking-authorization): the `hash`
/// must be the HMAC-SHA256 of the data-check-string (every other field as `key=value`, sorted, joined by newlines),
/// keyed by the SHA-256 of the bot token; `auth_date` must be at most five minutes old. (That each hash is accepted
/// only once is the caller's job: see `WharfStore.firstSightOfLoginProof`.)
public enum TelegramLogin {
    /// A verified Telegram identity.
    public struct Identity: Sendable, Equatable {
        public var id: String
        public var username: String?
        /// SHA-256 of the proof, to record as seen.
        public var proofID: String
    }

    /// Why a login proof was refused.
    public enum Failure: Error, Equatable {
        case missingFields
        case badSignature
        case expired
    }

    /// The fields Telegram signs.
    static let signedFields: Set<String> = ["id", "first_name", "last_name", "username", "photo_url", "auth_date"]

    /// Verifies `fields` (the query of the redirect) against `botToken` at `nowSeconds`.
    public static func verify(
        _ fields: [String: String], botToken: String, nowSeconds: Int64, maxAgeSeconds: Int64 = 300
    )
        throws(Failure) -> Identity
    {
        guard let hash = fields["hash"], let id = fields["id"],
            let authDate = fields["auth_date"].flatMap({ Int64($0) }),
            !id.isEmpty, id.allSatisfy(\.isNumber)
        else { throw .missingFields }
        guard SessionTokens.constantTimeEqual(sign(fields, botToken: botToken), hash.lowercased()) else {
            throw .badSignature
        }
        guard nowSeconds - authDate <= maxAgeSeconds, authDate - nowSeconds <= 60 else { throw .expired }
        let proof = KeyHasher.hash(hash.lowercased())
        return Identity(id: id, username: fields["username"], proofID: "tg:" + proof)
    }

    /// The hash Telegram puts on `fields` (hex HMAC-SHA256 of the data-check-string); tests use it to sign proofs.
    public static func sign(_ fields: [String: String], botToken: String) -> String {
        let checkString = fields.filter { signedFields.contains($0.key) }.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value)" }.joined(separator: "\n")
        let key = SymmetricKey(data: SHA256.hash(data: Data(botToken.utf8)))
        return HMAC<SHA256>.authenticationCode(for: Data(checkString.utf8), using: key)
            .map { String(format: "%02x", $0) }.joined()
    }
}
