import ArgumentParser
import Foundation
import WharfCore
import WharfServer
import WharfStorage

/// `wharf key create|list|revoke`.
struct KeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key", subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an API key; prints the secret once and nothing else.")
        @OptionGroup var options: ConfigOptions
        @Option(help: "The owner's email.") var user: String
        @Option(help: "A label for the key.") var name: String = "default"
        @Option(help: "Comma-separated models the key may call (default: all).") var models: String?
        @Option(help: "Comma-separated IPs or CIDR ranges the key may be used from (default: any).") var ips: String?
        @Option(help: "Spending limit of the key, e.g. 10.00.") var spendLimit: String?
        @Option(help: "Days until the key expires.") var expiresInDays: Int?
        @Option(help: "Requests per minute the key may make (default: the server's key_rpm).") var rpm: Int?
        @Option(help: "Comma-separated regions the key's requests may be processed in, e.g. eu,us (default: any).")
        var regions: String?
        @Flag(help: "Only route to channels whose provider keeps no data.") var zeroRetention = false
        @Flag(help: "Only route to channels whose provider does not train on the data.") var noTraining = false

        func run() async throws {
            try await operatorTask(options) { runtime in
                var policy = KeyPolicy()
                if let models {
                    policy.allowedModels = Set(
                        models.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
                }
                if let ips {
                    for item in ips.split(separator: ",") {
                        guard let range = IPRange(item.trimmingCharacters(in: .whitespaces)) else {
                            throw CommandFailure("--ips: '\(item)' is not an IP address or CIDR range")
                        }
                        policy.allowedIPs.append(range)
                    }
                }
                if let rpm {
                    guard rpm > 0 else { throw CommandFailure("--rpm must be positive") }
                    policy.requestsPerMinute = Int64(rpm)
                }
                if let regions {
                    guard let parsed = TransferConstraints.parseRegions(regions), !parsed.isEmpty else {
                        throw CommandFailure("--regions: expected region names such as eu,us")
                    }
                    policy.transfer.regions = parsed
                }
                policy.transfer.requireZeroRetention = zeroRetention
                policy.transfer.requireNoTraining = noTraining
                if let spendLimit { policy.spendLimit = try parseAmount(spendLimit, flag: "--spend-limit") }
                if let days = expiresInDays {
                    guard days > 0, days <= 3650 else { throw CommandFailure("--expires-in-days must be 1 to 3650") }
                    policy.expiresAtMillis = runtime.store.clock.nowMillis() + Int64(days) * 86_400_000
                }
                let owner = try await requireUser(runtime.store, user)
                let (record, secret) = try await runtime.store.createKey(
                    userID: owner.id, name: name, policy: policy, maxActive: runtime.config.maxKeysPerAccount)
                try await runtime.store.audit(
                    actorID: nil, action: "cli.key_create", target: record.id, detail: "owner=\(owner.id)")
                print(secret.value)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a user's keys (never their secrets).")
        @OptionGroup var options: ConfigOptions
        @Option(help: "The owner's email.") var user: String

        func run() async throws {
            try await operatorTask(options) { runtime in
                let owner = try await requireUser(runtime.store, user)
                for k in try await runtime.store.keys(userID: owner.id) {
                    print(
                        "\(k.id)\t\(k.displayPrefix)…\t\(k.name)\t\(k.status.rawValue)\tspent \(k.spent)\ttransfer \(k.policy.transfer.summary)"
                    )
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key by id.")
        @OptionGroup var options: ConfigOptions
        @Option(help: "The key id (key_...).") var id: String

        func run() async throws {
            try await operatorTask(options) { runtime in
                try await runtime.store.revokeKey(id: id)
                try await runtime.store.audit(actorID: nil, action: "cli.key_revoke", target: id)
                print("revoked \(id)")
            }
        }
    }
}
