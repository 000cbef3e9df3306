import ArgumentParser
import Foundation
import WharfCore
import WharfServer
import WharfStorage

/// `wharf channel add|list|disable|enable`.
struct ChannelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "channel", subcommands: [Add.self, List.self, Disable.self, Enable.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add an upstream channel.")
        @OptionGroup var options: ConfigOptions
        @Option(help: "A unique name.") var name: String
        @Option(help: "openai, anthropic, gemini or openai-compatible.") var provider: String
        @Option(help: "Base URL of the provider's API, e.g. https://api.openai.com/v1.") var baseURL: String
        @Option(help: "The upstream API key (stored encrypted).") var apiKey: String
        @Option(help: "Comma-separated public model names served.") var models: String
        @Option(help: "Comma-separated public=upstream model names.") var modelMap: String?
        @Option(help: "Routing tier; higher is tried first.") var priority: Int = 0
        @Option(help: "Share of traffic inside the tier.") var weight: Int = 1
        @Option(help: "Where the provider processes data, e.g. us, eu, cn.") var region: String = "unknown"
        @Option(help: "Data policy tags: retains|zero-retention, trains|no-training.") var dataPolicy: String =
            "retains,no-training"
        @Option(help: "Comma-separated endpoints: chat, completions, embeddings, responses.") var capabilities: String =
            "chat,completions,embeddings"

        func run() async throws {
            try await operatorTask(options) { runtime in
                guard let kind = ProviderKind(rawValue: provider) else {
                    throw CommandFailure("--provider must be one of openai, anthropic, gemini, openai-compatible")
                }
                guard let url = URLComponents(string: baseURL), let scheme = url.scheme?.lowercased(),
                    scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty
                else { throw CommandFailure("--base-url '\(baseURL)' is not an http(s) URL") }
                if let refused = await UpstreamAddressCheck.refusal(
                    baseURL: baseURL, policy: runtime.config.upstreamAddresses)
                {
                    throw CommandFailure("--base-url: \(refused)")
                }
                let modelList = models.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty }
                guard !modelList.isEmpty else { throw CommandFailure("--models must name at least one model") }
                guard !name.trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw CommandFailure("--name must not be empty")
                }
                guard !apiKey.isEmpty else { throw CommandFailure("--api-key must not be empty") }
                guard weight >= 0 else { throw CommandFailure("--weight must not be negative") }
                var mapping: [String: String] = [:]
                for pair in (modelMap ?? "").split(separator: ",") {
                    let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                    guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                        throw CommandFailure("--model-map: '\(pair)' is not public=upstream")
                    }
                    mapping[parts[0]] = parts[1]
                }
                let caps = Set(capabilities.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
                let channel = Channel(
                    id: WharfID.make("chn"), name: name, provider: kind, baseURL: baseURL, models: modelList,
                    modelMapping: mapping, priority: priority, weight: weight, region: region,
                    dataPolicy: DataPolicy(tags: dataPolicy), capabilities: caps)
                try await runtime.store.addChannel(channel, apiKey: apiKey)
                try await runtime.store.audit(actorID: nil, action: "cli.channel_add", target: channel.id)
                print("added channel \(name) (\(channel.id))")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List channels with their last reported health.")
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            try await operatorTask(options) { runtime in
                let health = try await runtime.store.channelHealth()
                print("NAME\tPROVIDER\tSTATUS\tPRIORITY\tWEIGHT\tREGION\tMODELS\tCIRCUIT\tERRORS\tLATENCY_MS")
                for c in try await runtime.store.channels() {
                    let h = health[c.id]
                    let errors = h.map { $0.requests > 0 ? "\($0.failures)/\($0.requests)" : "0/0" } ?? "-"
                    print(
                        "\(c.name)\t\(c.provider.rawValue)\t\(c.status.rawValue)\t\(c.priority)\t\(c.weight)\t\(c.region)\t\(c.models.joined(separator: ","))\t\(h?.state ?? "-")\t\(errors)\t\(h.map { String($0.latencyMillis) } ?? "-")"
                    )
                }
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop routing to a channel.")
        @OptionGroup var options: ConfigOptions
        @Option(help: "Channel name or id.") var name: String

        func run() async throws { try await setChannelStatus(options, name, .disabled) }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Route to a channel again.")
        @OptionGroup var options: ConfigOptions
        @Option(help: "Channel name or id.") var name: String

        func run() async throws { try await setChannelStatus(options, name, .enabled) }
    }
}

/// Enables or disables a channel and says so.
func setChannelStatus(_ options: ConfigOptions, _ name: String, _ status: ChannelStatus) async throws {
    try await operatorTask(options) { runtime in
        try await runtime.store.setChannelStatus(name, status)
        try await runtime.store.audit(actorID: nil, action: "cli.channel_\(status.rawValue)", target: name)
        print("\(status.rawValue) \(name)")
    }
}

/// `wharf price set|list`.
struct PriceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "price", subcommands: [Set_.self, List.self])

    struct Set_: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set", abstract: "Set a model's price per million tokens.")
        @OptionGroup var options: ConfigOptions
        @Option(help: "Model name.") var model: String
        @Option(help: "Price of a million prompt tokens, e.g. 0.15.") var input: String
        @Option(help: "Price of a million completion tokens.") var output: String
        @Option(help: "Price of a million prompt tokens read from a prompt cache (default: the input price).")
        var cacheRead: String?
        @Option(help: "Price of a million prompt tokens written to a prompt cache (default: the input price).")
        var cacheWrite: String?
        @Option(help: ArgumentHelp("The same as --cache-read (the earlier name).", visibility: .hidden))
        var cachedInput: String?

        func run() async throws {
            try await operatorTask(options) { runtime in
                guard !model.trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw CommandFailure("--model must not be empty")
                }
                if cacheRead != nil && cachedInput != nil {
                    throw CommandFailure("give --cache-read once (--cached-input is its earlier name)")
                }
                let price = ModelPrice(
                    inputPerMillion: try parseAmount(input, flag: "--input", allowZero: true),
                    outputPerMillion: try parseAmount(output, flag: "--output", allowZero: true),
                    cachedInputPerMillion: try (cacheRead ?? cachedInput).map {
                        try parseAmount($0, flag: "--cache-read", allowZero: true)
                    },
                    cacheWritePerMillion: try cacheWrite.map {
                        try parseAmount($0, flag: "--cache-write", allowZero: true)
                    })
                try await runtime.store.setPrice(model: model, price: price)
                try await runtime.store.audit(
                    actorID: nil, action: "cli.price_set", target: nil, detail: "model=\(model)")
                print(
                    "price of \(model): input \(price.inputPerMillion), output \(price.outputPerMillion), "
                        + "cache read \(price.cachedInputPerMillion), cache write \(price.cacheWritePerMillion) per million tokens"
                )
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List model prices.")
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            try await operatorTask(options) { runtime in
                for (model, p) in try await runtime.store.prices().sorted(by: { $0.key < $1.key }) {
                    print(
                        "\(model)\t\(p.inputPerMillion)\t\(p.outputPerMillion)\t\(p.cachedInputPerMillion)"
                            + "\t\(p.cacheWritePerMillion)")
                }
            }
        }
    }
}
