import Foundation
import SQLKit
import WharfCore

/// A column holding values sealed by ``SecretBox``, and the context each value is bound to.
public struct SealedColumn: Sendable {
    /// The table (its key column is `id`).
    public var table: String
    /// The column holding sealed text.
    public var column: String
    /// The context a row's value is sealed with, from the row's id (the same the repositories use).
    let context: @Sendable (String) -> String

    /// `table.column`.
    public var name: String { "\(table).\(column)" }

    /// Every sealed column Wharf stores (promise P4); each table's key column is `id`.
    public static let all: [SealedColumn] = [
        SealedColumn(table: "channels", column: "api_key_ciphertext", context: { WharfStore.apiKeyContext($0) }),
        SealedColumn(table: "payment_gateways", column: "key_ciphertext") {
            WharfStore.gatewaySecretContext($0, "key")
        },
        SealedColumn(table: "payment_gateways", column: "webhook_secret_ciphertext") {
            WharfStore.gatewaySecretContext($0, "webhook_secret")
        },
        SealedColumn(table: "users", column: "totp_secret_ciphertext", context: { WharfStore.totpContext($0) }),
        SealedColumn(table: "email_outbox", column: "recipient_ciphertext") { "email_outbox/\($0)/recipient" },
        SealedColumn(table: "email_outbox", column: "message_ciphertext") { "email_outbox/\($0)/message" },
    ]
}

/// What `wharf secrets rotate` did to one sealed column.
public struct SecretRotationResult: Sendable, Equatable {
    /// `table.column`.
    public var column: String
    /// Values sealed anew under the primary key.
    public var resealed: Int
    /// Values that already were under the primary key.
    public var alreadyPrimary: Int
    /// Values still sealed under another key after the run (they could not be opened; 0 when all went well).
    public var remainingOnOtherKeys: Int
    /// Why values could not be opened (one line per distinct reason, e.g. a key missing from the ring).
    public var problems: [String]
}

extension WharfStore {
    /// Rows re-sealed per transaction.
    static let rotationBatch = 200

    /// Re-seals every stored secret under the primary master key (`wharf secrets rotate`), column by column, in
    /// batches of ``rotationBatch`` rows, each batch one transaction. A value is replaced only if it is still the one
    /// read (a value changed meanwhile was sealed under the primary key already). Afterwards each column is counted
    /// again: once every `remainingOnOtherKeys` is 0, older keys can be dropped from the ring. `progress` is told
    /// each column's result as it completes. Plaintexts live only in memory, one batch at a time.
    public func rotateSecrets(progress: @escaping @Sendable (SecretRotationResult) -> Void = { _ in }) async throws
        -> [SecretRotationResult]
    {
        var results: [SecretRotationResult] = []
        for sealed in SealedColumn.all {
            let result = try await rotate(sealed)
            progress(result)
            results.append(result)
        }
        let total = results.reduce(0) { $0 + $1.resealed }
        try? await audit(
            actorID: nil, action: "secrets.rotate", target: nil, detail: "resealed=\(total) key=\(secrets.primaryKeyID)"
        )
        return results
    }

    /// Values keyed (not sealed) with a master key other than the primary, which rotation cannot re-make: unredeemed
    /// redemption codes (only their keyed hash is stored) and audit rows (the chain is verified with the key that
    /// made each row). The key named must stay in the ring while any remain.
    public func keyedHashesOnOtherKeys() async throws -> [(what: String, keyID: String, count: Int64, why: String)] {
        let primary = secrets.primaryKeyID
        let (codes, audit) = try await database.withConnection(timeoutMillis: database.bulkTimeoutMillis) { db in
            let codes = try await db.raw(
                """
                SELECT code_hash AS h FROM redemption_codes
                WHERE status = 'enabled' AND code_hash NOT LIKE \(bind: primary + ".%")
                """
            ).all().map { String(try $0.string("h").prefix { $0 != "." }) }
            let audit = try await db.raw(
                "SELECT hash AS h FROM audit_log WHERE hash LIKE 'k1.%' AND hash NOT LIKE \(bind: "k1." + primary + ".%")"
            ).all().map { String(try $0.string("h").dropFirst(3).prefix { $0 != "." }) }
            return (codes, audit)
        }
        // Key id → how many, per kind, in key-id order.
        func tally(_ ids: [String], _ what: String, _ why: String) -> [(String, String, Int64, String)] {
            Dictionary(grouping: ids, by: { $0 }).sorted { $0.key < $1.key }.map {
                (what, $0.key, Int64($0.value.count), why)
            }
        }
        return
            (tally(codes, "redemption codes", "unredeemed codes are recognised by it until used or expired")
            + tally(audit, "audit rows", "the hash chain is verified with it until the rows age out"))
            .map { (what: $0.0, keyID: $0.1, count: $0.2, why: $0.3) }
    }

    private func rotate(_ sealed: SealedColumn) async throws -> SecretRotationResult {
        let secrets = secrets
        let primaryPrefix = "v1:\(secrets.primaryKeyID):"
        var result = SecretRotationResult(
            column: sealed.name, resealed: 0, alreadyPrimary: 0, remainingOnOtherKeys: 0, problems: [])
        var after = ""
        while true {
            let from = after
            let (done, last, counts) = try await database.transaction { db in
                let rows = try await db.raw(
                    """
                    SELECT id, \(ident: sealed.column) AS v FROM \(ident: sealed.table)
                    WHERE id > \(bind: from) AND \(ident: sealed.column) IS NOT NULL
                    ORDER BY id LIMIT \(literal: Self.rotationBatch)
                    """
                ).all()
                var counts = (resealed: 0, primary: 0, problems: Set<String>())
                for row in rows {
                    let id = try row.string("id")
                    let value = try row.string("v")
                    if value.isEmpty { continue }
                    if value.hasPrefix(primaryPrefix) {
                        counts.primary += 1
                        continue
                    }
                    let fresh: String
                    do {
                        let context = sealed.context(id)
                        fresh = try secrets.seal(try secrets.open(value, context: context), context: context)
                    } catch {
                        counts.problems.insert(
                            (error as? SecretBoxError)?.description ?? "a value does not open with its key")
                        continue
                    }
                    try await db.raw(
                        """
                        UPDATE \(ident: sealed.table) SET \(ident: sealed.column) = \(bind: fresh)
                        WHERE id = \(bind: id) AND \(ident: sealed.column) = \(bind: value)
                        """
                    ).run()
                    counts.resealed += 1
                }
                return (rows.count < Self.rotationBatch, try rows.last?.string("id"), counts)
            }
            result.resealed += counts.resealed
            result.alreadyPrimary += counts.primary
            result.problems = Array(Set(result.problems).union(counts.problems)).sorted()
            if done { break }
            after = last ?? after
        }
        result.remainingOnOtherKeys = try await countNotUnder(sealed, prefix: primaryPrefix)
        return result
    }

    /// Values of `sealed` not sealed under the key whose values start with `prefix`.
    func countNotUnder(_ sealed: SealedColumn, prefix: String) async throws -> Int {
        try await database.withConnection(timeoutMillis: database.bulkTimeoutMillis) { db in
            let n = try await db.raw(
                """
                SELECT CAST(COUNT(*) AS BIGINT) AS n FROM \(ident: sealed.table)
                WHERE \(ident: sealed.column) IS NOT NULL AND \(ident: sealed.column) <> ''
                    AND SUBSTR(\(ident: sealed.column), 1, \(literal: prefix.utf8.count)) <> \(bind: prefix)
                """
            ).first()?.int64("n")
            return Int(n ?? 0)
        }
    }
}
