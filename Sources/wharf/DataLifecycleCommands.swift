import ArgumentParser
import Foundation
import WharfCore
import WharfServer
import WharfStorage

/// `wharf retention run [--as-of RFC3339] [--dry-run]`: enforces the retention schedule now (the server also does,
/// daily and at start), printing a line per kind of record.
struct RetentionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "retention", subcommands: [Run.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete every record past its retention (usage records are kept as daily rollups).")
        @OptionGroup var options: ConfigOptions
        @Option(help: "Run as of this time (RFC 3339, e.g. 2027-01-01T00:00:00Z) instead of now.") var asOf: String?
        @Flag(help: "Only count what is past retention; delete nothing.") var dryRun = false

        func run() async throws {
            var asOfMillis: Int64?
            if let asOf {
                let formatter = ISO8601DateFormatter()
                formatter.formatOptions = [.withInternetDateTime]
                var date = formatter.date(from: asOf)
                if date == nil {
                    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
                    date = formatter.date(from: asOf)
                }
                guard let date else {
                    throw ValidationError("--as-of must be an RFC 3339 time such as 2027-01-01T00:00:00Z")
                }
                asOfMillis = Int64(date.timeIntervalSince1970 * 1000)
            }
            try await operatorTask(options) { runtime in
                let now = asOfMillis ?? runtime.store.clock.nowMillis()
                if let asOfMillis, asOfMillis > runtime.store.clock.nowMillis() + 60_000 {
                    FileHandle.standardError.write(
                        Data(
                            "warning: --as-of is in the future: records still inside their retention today are deleted as if that day had come\n"
                                .utf8))
                }
                let schedule = runtime.config.retention
                for entry in schedule.entries {
                    FileHandle.standardError.write(Data("retention_\(entry.name)_days = \(entry.days)\n".utf8))
                }
                let report = try await runtime.store.runRetention(
                    schedule: schedule, nowMillis: now, dryRun: dryRun
                ) { line in
                    print("\(line.name) (\(line.retention.rawValue)): \(line.rows) \(dryRun ? "due" : "deleted")")
                }
                print(
                    "retention \(dryRun ? "dry run" : "run") done: \(report.total) row(s) \(dryRun ? "due" : "deleted")"
                )
                if !dryRun, report.total > 0 { try await runtime.store.flushDeletedContent() }
            }
        }
    }
}

/// `wharf export --user EMAIL`: everything held about a person, as one JSON document on stdout.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Print everything stored about a user as one JSON document.")
    @OptionGroup var options: ConfigOptions
    @Option(help: "The user's email.") var user: String

    func run() async throws {
        try await operatorTask(options) { runtime in
            let account = try await requireUser(runtime.store, user)
            let tables = try await runtime.store.exportSubject(userID: account.id)
            let document = SubjectExportDocument(
                userID: account.id, exportedAtMillis: runtime.store.clock.nowMillis(), tables: tables)
            try await runtime.store.audit(actorID: nil, action: "cli.user_export", target: account.id)
            FileHandle.standardOutput.write(try document.json())
            FileHandle.standardOutput.write(Data("\n".utf8))
        }
    }
}

extension UserCommand {
    /// `wharf user erase --user EMAIL`.
    struct Erase: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Erase a user's personal data now (payment records stay under a pseudonymous id).")
        @OptionGroup var options: ConfigOptions
        @Option(help: "The user's email.") var user: String

        func run() async throws {
            try await operatorTask(options) { runtime in
                let account = try await requireUser(runtime.store, user)
                let report = try await runtime.store.eraseAccount(userID: account.id)
                print(
                    "erased \(report.userID): \(report.keysRevoked) key(s) revoked, \(report.sessionsEnded) session(s) ended, \(report.supportMessagesRemoved) support message(s) removed"
                )
            }
        }
    }

    /// `wharf user freeze --user EMAIL`.
    struct Freeze: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restrict an account: every key is refused, nothing is deleted.")
        @OptionGroup var options: ConfigOptions
        @Option(help: "The user's email.") var user: String

        func run() async throws {
            try await operatorTask(options) { runtime in
                let account = try await requireUser(runtime.store, user)
                guard try await runtime.store.setFrozen(userID: account.id, true) else {
                    throw CommandFailure("only an active account can be frozen (it is \(account.status.rawValue))")
                }
                try await runtime.store.audit(actorID: nil, action: "cli.user_freeze", target: account.id)
                print("frozen \(account.id)")
            }
        }
    }

    /// `wharf user unfreeze --user EMAIL`.
    struct Unfreeze: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Lift an account's restriction.")
        @OptionGroup var options: ConfigOptions
        @Option(help: "The user's email.") var user: String

        func run() async throws {
            try await operatorTask(options) { runtime in
                let account = try await requireUser(runtime.store, user)
                guard try await runtime.store.setFrozen(userID: account.id, false) else {
                    throw CommandFailure("the account is not frozen (it is \(account.status.rawValue))")
                }
                try await runtime.store.audit(actorID: nil, action: "cli.user_unfreeze", target: account.id)
                print("unfrozen \(account.id)")
            }
        }
    }
}
