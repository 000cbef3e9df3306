import ArgumentParser
import WharfCore
import WharfServer
import WharfStorage

/// `wharf admin create`: the first (or another) administrator.
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "admin", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an administrator account.")
        @OptionGroup var options: ConfigOptions
        @Option(help: "Email address.") var email: String
        @Option(help: "Password (at least 10 characters).") var password: String
        @Option(help: "Role: admin or root.") var role: String = "admin"

        func run() async throws {
            try await operatorTask(options) { runtime in
                guard let r = Role(rawValue: role), r >= .admin else {
                    throw CommandFailure("--role must be admin or root")
                }
                let user = try await AccountService(store: runtime.store).createAccount(
                    email: email, password: password, role: r)
                try await runtime.store.setSetting("setup_token_sha256", nil)
                try await runtime.store.audit(
                    actorID: nil, action: "cli.admin_create", target: user.id, detail: "role=\(r.rawValue)")
                print("created \(r.rawValue) \(user.email) (\(user.id))")
            }
        }
    }
}

/// `wharf user create`.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", subcommands: [Create.self, Erase.self, Freeze.self, Unfreeze.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a user account.")
        @OptionGroup var options: ConfigOptions
        @Option(help: "Email address.") var email: String
        @Option(help: "Password (at least 10 characters).") var password: String
        @Option(help: "Username (default: the email's local part).") var username: String?
        @Option(help: "Role: user, support, finance, admin or root.") var role: String = "user"

        func run() async throws {
            try await operatorTask(options) { runtime in
                guard let r = Role(rawValue: role) else {
                    throw CommandFailure("--role must be one of user, support, finance, admin, root")
                }
                let user = try await AccountService(store: runtime.store).createAccount(
                    email: email, password: password, role: r, username: username)
                try await runtime.store.audit(
                    actorID: nil, action: "cli.user_create", target: user.id, detail: "role=\(r.rawValue)")
                print("created user \(user.email) (\(user.id))")
            }
        }
    }
}

/// Finds a user by email or fails with a clear message.
func requireUser(_ store: WharfStore, _ email: String) async throws -> UserRecord {
    guard let user = try await store.user(email: email) else { throw CommandFailure("no user with email '\(email)'") }
    return user
}

/// Parses a money amount or fails with a clear message.
func parseAmount(_ text: String, flag: String, allowNegative: Bool = false, allowZero: Bool = false) throws -> Money {
    let amount: Money
    do { amount = try Money(parsing: text) } catch { throw CommandFailure("\(flag): \(error.description)") }
    if amount.micros < 0 && !allowNegative { throw CommandFailure("\(flag) must not be negative") }
    if amount.micros == 0 && !allowZero { throw CommandFailure("\(flag) must not be zero") }
    return amount
}

/// `wharf credit grant|balance`.
struct CreditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "credit", subcommands: [Grant.self, Balance.self])

    struct Grant: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Grant credit to a user (a ledger entry).")
        @OptionGroup var options: ConfigOptions
        @Option(help: "The user's email.") var user: String
        @Option(parsing: .unconditional, help: "Amount in the operator currency, e.g. 12.50.") var amount: String
        @Option(help: "Reason recorded with the entry.") var reason: String = "granted by operator"

        func run() async throws {
            try await operatorTask(options) { runtime in
                let money = try parseAmount(amount, flag: "--amount")
                let account = try await requireUser(runtime.store, user)
                let balance = try await runtime.store.post(
                    userID: account.id, kind: .grant, amount: money, reason: reason)
                try await runtime.store.audit(
                    actorID: nil, action: "cli.credit_grant", target: account.id, detail: "amount=\(money)")
                print("granted \(money) to \(account.email); balance \(balance)")
            }
        }
    }

    struct Balance: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a user's balance as a plain decimal.")
        @OptionGroup var options: ConfigOptions
        @Option(help: "The user's email.") var user: String

        func run() async throws {
            try await operatorTask(options) { runtime in
                let account = try await requireUser(runtime.store, user)
                print(try await runtime.store.balance(userID: account.id).description)
            }
        }
    }
}

/// `wharf audit verify`: walks the hash-chained audit log (promise P8).
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", subcommands: [Verify.self, Anchor.self])

    struct Anchor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Check the whole chain and write its anchor beside the database; re-key rows written before keying (run once after upgrading, or to restore a lost anchor after checking the chain)."
        )
        @OptionGroup var options: ConfigOptions
        @Flag(help: "Anchor even though rows the old anchor or an alarm names were removed or rewritten.")
        var acceptDivergence = false

        func run() async throws {
            try await operatorTask(options) { runtime in
                let (rekeyed, head) = try await runtime.store.anchorAudit(acceptingDivergence: acceptDivergence)
                print("audit chain anchored at row \(head?.seq ?? 0) (\(rekeyed) rows re-keyed with the master key)")
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check that no audit row was changed, inserted or deleted (exit 1 and the row if one was).")
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            try await operatorTask(options) { runtime in
                let verdict = try await runtime.store.verifyAudit()
                if let problem = verdict.problem {
                    throw CommandFailure("the audit chain is broken: \(problem) (\(verdict.rows) rows checked)")
                }
                let anchor = (try? runtime.store.auditAnchor?.read()).flatMap { $0 }
                print(
                    "audit chain ok (\(verdict.rows) rows; keyed with the master key; anchored at row \(anchor?.seq ?? 0))"
                )
            }
        }
    }
}

/// `wharf ledger verify`.
struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ledger", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Check that every balance equals the sum of its ledger entries, and every usage charge the cost of the records it settled."
        )
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            try await operatorTask(options) { runtime in
                let mismatches = try await runtime.store.verifyLedger()
                let settlements = try await runtime.store.verifyUsageSettlements()
                let orders = try await runtime.store.verifyOrders()
                for m in mismatches { print("MISMATCH \(m)") }
                for m in settlements { print("MISMATCH \(m)") }
                for m in orders { print("MISMATCH \(m)") }
                guard mismatches.isEmpty else {
                    throw CommandFailure("\(mismatches.count) wallet(s) do not match their ledger")
                }
                guard settlements.isEmpty else {
                    throw CommandFailure("\(settlements.count) usage charge(s) do not match their usage records")
                }
                guard orders.isEmpty else {
                    throw CommandFailure("\(orders.count) order(s) do not match their ledger entries")
                }
                print("ledger ok")
            }
        }
    }
}
