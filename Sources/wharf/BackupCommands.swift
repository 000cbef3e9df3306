import ArgumentParser
import Foundation
import WharfServer
import WharfStorage

/// `wharf backup --to FILE`: an encrypted, consistent snapshot of every table, taken while the server runs.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract:
            "Write an encrypted snapshot of the whole database to a new file (sealed under the primary master key: keep master.key apart from it)."
    )
    @OptionGroup var options: ConfigOptions
    @Option(help: "The backup file to create (must not exist).") var to: String

    func run() async throws {
        try await operatorTask(options) { runtime in
            let summary = try await runtime.store.backup(to: to) { table, rows in
                printProgress("\(table): \(rows) rows")
            }
            print(
                "backup written to \(to): \(summary.rows) rows in \(summary.tables) tables, schema version \(summary.schemaVersion), \(summary.bytes) bytes, sealed with master key \(summary.keyID)"
            )
        }
    }
}

/// `wharf restore --from FILE`: loads a backup into an empty database, then checks the ledger and the audit chain.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract:
            "Restore a backup into an empty database (a new data directory or database), then verify the ledger and the audit chain (exit 1 if either fails)."
    )
    @OptionGroup var options: ConfigOptions
    @Option(help: "The backup file written by `wharf backup`.") var from: String
    @Option(
        help:
            "An erasure register (`erased-accounts` of the data directory the backup came from) whose erasures are applied again; the target's own register always is."
    ) var erasures: String?

    func run() async throws {
        try await operatorTask(options) { runtime in
            let lock: ServingLock
            do { lock = try await runtime.database.takeServingLock() } catch {
                throw CommandFailure("\(error); stop the server before restoring")
            }
            let summary: RestoreSummary
            var ids: [String] = []
            let reapplied: [String]
            do {
                // Read before the restore (an unreadable register stops it while the database is still empty), and
                // applied before the serving lock is released: no server starts on data with an erased person back.
                // The other register's erasures join the target's own first: if anything below fails, the next
                // `wharf serve` still applies them before serving.
                if let erasures, let register = runtime.store.erasureRegister {
                    let now = runtime.store.clock.nowMillis()
                    for id in try ErasureRegister(path: erasures).userIDs() {
                        try register.append(userID: id, atMillis: now)
                    }
                }
                ids = try runtime.store.erasureRegister?.userIDs() ?? []
                summary = try await runtime.store.restore(from: from) { table, rows in
                    printProgress("\(table): \(rows) rows")
                }
                reapplied = try await runtime.store.reapplyErasures(ids)
                await lock.release()
            } catch {
                await lock.release()
                throw error
            }
            let taken = Date(timeIntervalSince1970: Double(summary.backupCreatedAt) / 1000).ISO8601Format()
            print(
                "restored \(summary.rows) rows in \(summary.tables) tables from \(from) (taken \(taken), schema version \(summary.backupSchemaVersion), master key \(summary.keyID))"
            )
            print("erasures re-applied: \(reapplied.count) of \(Set(ids).count) in the register(s)")
            if erasures == nil {
                printProgress(
                    "note: accounts erased after \(taken) on another data directory come back unless its register is given with --erasures"
                )
            }
            printProgress(
                "note: records past retention since \(taken) are back; the retention job removes them (`wharf retention run`)"
            )
            for mismatch in summary.ledgerMismatches { print("MISMATCH \(mismatch)") }
            print(
                summary.ledgerMismatches.isEmpty ? "ledger ok" : "ledger: \(summary.ledgerMismatches.count) mismatches")
            if let problem = summary.audit.problem {
                print("audit chain broken: \(problem)")
            } else {
                let head = summary.audit.head?.seq ?? 0
                print("audit chain ok (\(summary.audit.rows) rows; anchor beside the database written at row \(head))")
            }
            guard summary.verified else { throw CommandFailure("the restored data did not verify") }
        }
    }
}

/// `wharf secrets rotate`: re-seals every stored secret under the primary master key.
struct SecretsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "secrets", subcommands: [Rotate.self])

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Re-seal every stored secret (upstream keys, payment secrets, TOTP seeds, queued mail) under the primary master key, so older keys can be dropped from the ring."
        )
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            try await operatorTask(options) { runtime in
                let primary = runtime.store.secrets.primaryKeyID
                let results = try await runtime.store.rotateSecrets { r in
                    printProgress(
                        "\(r.column): \(r.resealed) re-sealed, \(r.alreadyPrimary) already under \(primary), \(r.remainingOnOtherKeys) on other keys"
                    )
                    for problem in r.problems { printProgress("  \(r.column): \(problem)") }
                }
                let resealed = results.reduce(0) { $0 + $1.resealed }
                let remaining = results.reduce(0) { $0 + $1.remainingOnOtherKeys }
                guard remaining == 0 else {
                    throw CommandFailure(
                        "\(resealed) secrets re-sealed, but \(remaining) remain on other keys (see above); keep those keys in the ring"
                    )
                }
                // Keyed hashes cannot be re-made without what they hash: the keys that made them stay in the ring.
                let keyed = try await runtime.store.keyedHashesOnOtherKeys()
                for k in keyed {
                    printProgress("\(k.what): \(k.count) still verified with master key \(k.keyID) (\(k.why))")
                }
                guard keyed.isEmpty else {
                    let ids = Set(keyed.map(\.keyID)).sorted().joined(separator: ", ")
                    print(
                        "\(resealed) secrets re-sealed under master key \(primary); keep \(ids) in the ring for the keyed hashes above"
                    )
                    return
                }
                print(
                    "\(resealed) secrets re-sealed under master key \(primary); none remain on other keys, so older keys can be removed from the ring"
                )
            }
        }
    }
}

/// Prints a progress line on standard error (stdout carries only the result).
func printProgress(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
