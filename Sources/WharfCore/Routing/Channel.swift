import Foundation

/// The upstream provider protocols Wharf speaks. OpenAI-compatible servers (DeepSeek, Zhipu, DashScope,
/// Moonshot, vLLM, Ollama) are configuration of the `openaiCompatible` kind, not types of their own.
public enum ProviderKind: String, Sendable, CaseIterable, Codable {
    case openai
    case openaiCompatible = "openai-compatible"
    case anthropic
    case gemini
}

/// Whether a channel is used for routing.
public enum ChannelStatus: String, Sendable, CaseIterable, Codable {
    case enabled
    case disabled
}

/// What an upstream provider does with the data sent to it (promise P10).
public struct DataPolicy: Hashable, Sendable, Codable {
    /// The provider keeps prompts or outputs after answering.
    public var retains: Bool
    /// The provider may train on the data.
    public var trains: Bool

    /// Creates a policy.
    public init(retains: Bool, trains: Bool) {
        self.retains = retains
        self.trains = trains
    }

    /// Tags as stored: `retains`/`zero-retention` and `trains`/`no-training`.
    public var tags: String {
        (retains ? "retains" : "zero-retention") + "," + (trains ? "trains" : "no-training")
    }

    /// Parses stored tags; unknown tags are ignored, missing ones are the cautious default (retains, trains).
    public init(tags: String) {
        let set = Set(tags.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        retains = !set.contains("zero-retention")
        trains = !set.contains("no-training")
    }
}

/// An upstream channel as configured by an operator, without its secret.
public struct Channel: Hashable, Sendable, Codable {
    public var id: String
    public var name: String
    public var provider: ProviderKind
    /// Base URL of the provider's API, e.g. `https://api.openai.com/v1`.
    public var baseURL: String
    /// Public model names this channel serves.
    public var models: [String]
    /// Public model name → upstream model name; absent names are sent unchanged.
    public var modelMapping: [String: String]
    /// Higher tiers are tried first.
    public var priority: Int
    /// Relative share of traffic inside a tier.
    public var weight: Int
    /// Where the provider processes data, e.g. `us`, `eu`, `cn`.
    public var region: String
    public var dataPolicy: DataPolicy
    public var status: ChannelStatus
    /// Endpoints beyond chat and completions the channel supports, e.g. `responses`, `embeddings`.
    public var capabilities: Set<String>

    /// Creates a channel record.
    public init(
        id: String, name: String, provider: ProviderKind, baseURL: String, models: [String],
        modelMapping: [String: String] = [:], priority: Int = 0, weight: Int = 1, region: String = "unknown",
        dataPolicy: DataPolicy = DataPolicy(retains: true, trains: false), status: ChannelStatus = .enabled,
        capabilities: Set<String> = ["chat", "completions", "embeddings"]
    ) {
        self.id = id
        self.name = name
        self.provider = provider
        self.baseURL = baseURL
        self.models = models
        self.modelMapping = modelMapping
        self.priority = priority
        self.weight = weight
        self.region = region
        self.dataPolicy = dataPolicy
        self.status = status
        self.capabilities = capabilities
    }

    /// The name to send upstream for a public model name.
    public func upstreamModel(for publicModel: String) -> String { modelMapping[publicModel] ?? publicModel }
}
