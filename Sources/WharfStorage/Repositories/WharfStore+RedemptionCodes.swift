import Crypto
import Foundation
import SQLKit
import WharfCore

/// A batch of redemption codes as an admin sees it after creation (the codes themselves are shown once).
public struct RedemptionCodeRecord: Sendable, Equatable {
    public var id: String
    public var batchID: String
    /// Last four characters of the code.
    public var hint: String
    public var credit: Money
    /// `enabled`, `redeemed` or `disabled`.
    public var status: String
    public var expiresAt: Int64?
    public var createdAt: Int64
    public var redeemedBy: String?
    public var redeemedAt: Int64?
}

/// What redeeming a code did.
public enum RedeemOutcome: Sendable, Equatable {
    /// The code was valid; its credit was posted to the account.
    case credited(Money)
    /// Not a code that can be redeemed now (unknown, already used, expired or disabled): one answer for all, so
    /// the reply does not tell which.
    case refused
}

extension WharfStore {
    /// The keyed hashes under which a normalised code may be stored: one per master key of the ring (the primary's
    /// first), so codes made before a key rotation still redeem.
    func codeHashes(_ normalized: String) -> [String] {
        ([secrets.primaryKeyID] + secrets.keys.keys.filter { $0 != secrets.primaryKeyID }.sorted()).compactMap {
            keyID in
            guard let key = secrets.derivedKey("redemption-codes", keyID: keyID) else { return nil }
            let mac = HMAC<SHA256>.authenticationCode(for: Data(normalized.utf8), using: key)
            return "\(keyID).\(Data(mac).hexString)"
        }
    }

    /// Makes `count` codes worth `credit` each and returns their text, which is never stored: only a keyed hash and
    /// the last four characters are.
    public func createRedemptionCodes(count: Int, credit: Money, expiresAt: Int64?, createdBy: String?) async throws
        -> (batchID: String, codes: [String])
    {
        guard (1...10_000).contains(count) else { throw StoreError.invalid("make between 1 and 10000 codes") }
        guard credit.micros > 0 else { throw StoreError.invalid("the amount must be positive") }
        let batch = WharfID.make("batch")
        var rng = SystemRandomNumberGenerator()
        let codes = (0..<count).map { _ in RedemptionCodeText.make(using: &rng) }
        let at = now
        try await database.transaction { db in
            for chunk in codes.chunked(100) {
                try await Self.codeInsert.run(
                    chunk.compactMap { code -> [BatchInsert.Value]? in
                        guard let normalized = RedemptionCodeText.normalize(code),
                            let hash = self.codeHashes(normalized).first
                        else { return nil }
                        return [
                            .text(WharfID.make("code")), .text(batch), .text(hash),
                            .text(RedemptionCodeText.hint(ofNormalized: normalized)), .integer(credit.micros),
                            .text("enabled"), .integer(expiresAt), .text(createdBy), .integer(at),
                        ]
                    }, on: db)
            }
        }
        return (batch, codes)
    }

    static let codeInsert = BatchInsert(
        into: "redemption_codes",
        columns: ["id", "batch_id", "code_hash", "hint", "credit", "status", "expires_at", "created_by", "created_at"])

    /// Redeems a code for `userID`: in one transaction, a compare-and-swap from enabled to redeemed (only before it
    /// expires), the `redeem` ledger entry under the code's unique source key, and the balance. Of any number of
    /// concurrent attempts on one code, one credits.
    public func redeemCode(_ text: String, userID: String) async throws -> RedeemOutcome {
        guard let normalized = RedemptionCodeText.normalize(text) else { return .refused }
        let hashes = codeHashes(normalized)
        let at = now
        return try await database.transaction { db in
            guard
                let row = try await db.raw(
                    """
                    UPDATE redemption_codes SET status = 'redeemed', redeemed_by = \(bind: userID), redeemed_at = \(bind: at)
                    WHERE code_hash IN (\(binds: hashes)) AND status = 'enabled'
                        AND (expires_at IS NULL OR expires_at > \(bind: at))
                    RETURNING id, credit, hint
                    """
                ).first()
            else { return .refused }
            let credit = try row.int64("credit")
            let codeID = try row.string("id")
            // The account's ledger shows the code's last four characters, which its owner can recognise.
            try await Self.insertEntry(
                db, userID: userID, kind: .redeem, amount: credit, reference: codeID,
                reason: "code …\(try row.string("hint"))", at: at, sourceKey: "code:\(codeID)")
            let wallet = try await db.raw(
                """
                UPDATE wallets SET balance = balance + \(bind: credit), updated_at = \(bind: at)
                WHERE user_id = \(bind: userID) RETURNING user_id
                """
            ).first()
            guard wallet != nil else { throw StoreError.notFound("user") }
            try await Self.bumpConfigVersion(db)
            return .credited(Money(micros: credit))
        }
    }

    /// Codes of a batch (or the newest codes), for the admin page.
    public func redemptionCodes(batchID: String? = nil, limit: Int = 200) async throws -> [RedemptionCodeRecord] {
        try await database.withConnection { db in
            let rows =
                if let batchID {
                    try await db.raw(
                        "SELECT * FROM redemption_codes WHERE batch_id = \(bind: batchID) ORDER BY id LIMIT \(bind: limit)"
                    ).all()
                } else {
                    try await db.raw("SELECT * FROM redemption_codes ORDER BY created_at DESC, id LIMIT \(bind: limit)")
                        .all()
                }
            return try rows.map { row in
                RedemptionCodeRecord(
                    id: try row.string("id"), batchID: try row.string("batch_id"), hint: try row.string("hint"),
                    credit: Money(micros: try row.int64("credit")), status: try row.string("status"),
                    expiresAt: try row.optionalInt64("expires_at"), createdAt: try row.int64("created_at"),
                    redeemedBy: try row.optionalString("redeemed_by"), redeemedAt: try row.optionalInt64("redeemed_at"))
            }
        }
    }

    /// Disables every unredeemed code of a batch; returns how many.
    public func disableRedemptionBatch(_ batchID: String) async throws -> Int {
        try await database.withConnection { db in
            try await db.raw(
                """
                UPDATE redemption_codes SET status = 'disabled' WHERE batch_id = \(bind: batchID) AND status = 'enabled'
                RETURNING id
                """
            ).all().count
        }
    }
}
