import SQLKit
import WharfCore

/// A channel with its upstream key opened, for the server's in-memory routing table.
public struct ChannelWithSecret: Sendable {
    public var channel: Channel
    public var apiKey: String
}

/// Recent health of a channel as last reported by a server.
public struct ChannelHealthRecord: Sendable, Equatable {
    public var channelID: String
    public var state: String
    public var requests: Int64
    public var failures: Int64
    public var latencyMillis: Int64
    public var updatedAt: Int64

    /// Creates a record.
    public init(
        channelID: String, state: String, requests: Int64, failures: Int64, latencyMillis: Int64, updatedAt: Int64
    ) {
        self.channelID = channelID
        self.state = state
        self.requests = requests
        self.failures = failures
        self.latencyMillis = latencyMillis
        self.updatedAt = updatedAt
    }
}

extension WharfStore {
    static func apiKeyContext(_ channelID: String) -> String { "channels/\(channelID)/api_key" }

    /// Adds a channel; its upstream key is sealed with the master key, bound to the channel's id.
    public func addChannel(_ channel: Channel, apiKey: String) async throws {
        let sealed = try secrets.seal(apiKey, context: Self.apiKeyContext(channel.id))
        let at = now
        try await database.transaction { db in
            guard try await db.raw("SELECT id FROM channels WHERE name = \(bind: channel.name)").first() == nil else {
                throw StoreError.duplicate("a channel named '\(channel.name)'")
            }
            try await db.raw(
                """
                INSERT INTO channels (id, name, provider, base_url, api_key_ciphertext, models, model_mapping, priority,
                    weight, region, data_policy, capabilities, status, created_at, updated_at)
                VALUES (\(bind: channel.id), \(bind: channel.name), \(bind: channel.provider.rawValue),
                    \(bind: channel.baseURL), \(bind: sealed), \(bind: JSONColumn.encode(channel.models)),
                    \(bind: JSONColumn.encode(channel.modelMapping)), \(bind: Int64(channel.priority)),
                    \(bind: Int64(channel.weight)), \(bind: channel.region), \(bind: channel.dataPolicy.tags),
                    \(bind: JSONColumn.encode(channel.capabilities.sorted())), \(bind: channel.status.rawValue),
                    \(bind: at), \(bind: at))
                """
            ).run()
            try await Self.bumpConfigVersion(db)
        }
    }

    /// Changes a channel's routing and declaration fields (base URL, models, mapping, priority, weight, region, data
    /// policy, capabilities); the upstream key is replaced only when `apiKey` is given.
    public func updateChannel(_ channel: Channel, apiKey: String?) async throws {
        let sealed = try apiKey.map { try secrets.seal($0, context: Self.apiKeyContext(channel.id)) }
        let at = now
        try await database.transaction { db in
            guard
                try await db.raw(
                    """
                    UPDATE channels SET base_url = \(bind: channel.baseURL), models = \(bind: JSONColumn.encode(channel.models)),
                        model_mapping = \(bind: JSONColumn.encode(channel.modelMapping)),
                        priority = \(bind: Int64(channel.priority)), weight = \(bind: Int64(channel.weight)),
                        region = \(bind: channel.region), data_policy = \(bind: channel.dataPolicy.tags),
                        capabilities = \(bind: JSONColumn.encode(channel.capabilities.sorted())), updated_at = \(bind: at)
                    WHERE id = \(bind: channel.id) RETURNING id
                    """
                ).first() != nil
            else { throw StoreError.notFound("channel") }
            if let sealed {
                try await db.raw(
                    "UPDATE channels SET api_key_ciphertext = \(bind: sealed) WHERE id = \(bind: channel.id)"
                ).run()
            }
            try await Self.bumpConfigVersion(db)
        }
    }

    /// Enables or disables a channel by name or id.
    public func setChannelStatus(_ nameOrID: String, _ status: ChannelStatus) async throws {
        let at = now
        try await database.transaction { db in
            guard
                try await db.raw(
                    "UPDATE channels SET status = \(bind: status.rawValue), updated_at = \(bind: at) WHERE name = \(bind: nameOrID) OR id = \(bind: nameOrID) RETURNING id"
                ).first() != nil
            else { throw StoreError.notFound("channel '\(nameOrID)'") }
            try await Self.bumpConfigVersion(db)
        }
    }

    /// Every channel, without secrets.
    public func channels() async throws -> [Channel] {
        try await database.withConnection { db in
            try await db.raw("SELECT * FROM channels ORDER BY priority DESC, name").all().map(Self.decodeChannel)
        }
    }

    /// Every enabled channel with its upstream key opened.
    public func enabledChannelsWithSecrets() async throws -> [ChannelWithSecret] {
        let rows = try await database.withConnection { db in
            try await db.raw("SELECT * FROM channels WHERE status = 'enabled'").all().map {
                (try Self.decodeChannel($0), try $0.string("api_key_ciphertext"))
            }
        }
        return try rows.map { channel, sealed in
            ChannelWithSecret(
                channel: channel, apiKey: try secrets.open(sealed, context: Self.apiKeyContext(channel.id)))
        }
    }

    /// Stores the health a server measured for its channels.
    public func saveChannelHealth(_ records: [ChannelHealthRecord]) async throws {
        guard !records.isEmpty else { return }
        try await database.transaction { db in
            for r in records {
                try await db.raw("DELETE FROM channel_health WHERE channel_id = \(bind: r.channelID)").run()
                try await db.raw(
                    """
                    INSERT INTO channel_health (channel_id, state, requests, failures, latency_ms, updated_at)
                    VALUES (\(bind: r.channelID), \(bind: r.state), \(bind: r.requests), \(bind: r.failures),
                        \(bind: r.latencyMillis), \(bind: r.updatedAt))
                    """
                ).run()
            }
        }
    }

    /// The last reported health of every channel, by channel id.
    public func channelHealth() async throws -> [String: ChannelHealthRecord] {
        try await database.withConnection { db in
            var out: [String: ChannelHealthRecord] = [:]
            for row in try await db.raw("SELECT * FROM channel_health").all() {
                let r = ChannelHealthRecord(
                    channelID: try row.string("channel_id"), state: try row.string("state"),
                    requests: try row.int64("requests"), failures: try row.int64("failures"),
                    latencyMillis: try row.int64("latency_ms"), updatedAt: try row.int64("updated_at"))
                out[r.channelID] = r
            }
            return out
        }
    }

    static func decodeChannel(_ row: any SQLRow) throws -> Channel {
        Channel(
            id: try row.string("id"), name: try row.string("name"),
            provider: ProviderKind(rawValue: try row.string("provider")) ?? .openaiCompatible,
            baseURL: try row.string("base_url"),
            models: JSONColumn.decode([String].self, try row.string("models")) ?? [],
            modelMapping: JSONColumn.decode([String: String].self, try row.string("model_mapping")) ?? [:],
            priority: Int(try row.int64("priority")), weight: Int(try row.int64("weight")),
            region: try row.string("region"), dataPolicy: DataPolicy(tags: try row.string("data_policy")),
            status: ChannelStatus(rawValue: try row.string("status")) ?? .disabled,
            capabilities: Set(JSONColumn.decode([String].self, try row.string("capabilities")) ?? []))
    }
}
