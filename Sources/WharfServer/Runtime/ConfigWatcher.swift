import Logging
import ServiceLifecycle
import WharfCore
import WharfStorage
import WharfUpstream

/// Keeps the in-memory snapshot current: polls `config_version` (one tiny query per interval, off the request
/// path) and rebuilds keys, routes and prices when it changed, so a change made by the CLI or another node is seen
/// within about one interval. Also stores this server's channel health for `wharf channel list`.
public final class ConfigWatcher: Service, Sendable {
    let store: WharfStore
    let snapshots: SnapshotStore
    let writer: UsageWriter
    let health: ChannelHealthBoard
    let intervalMillis: Int64
    let logger: Logger

    /// Creates a watcher.
    public init(
        store: WharfStore, snapshots: SnapshotStore, writer: UsageWriter, health: ChannelHealthBoard,
        intervalMillis: Int64, logger: Logger
    ) {
        self.store = store
        self.snapshots = snapshots
        self.writer = writer
        self.health = health
        self.intervalMillis = intervalMillis
        self.logger = logger
    }

    /// Builds the snapshot from the database now.
    public func reload() async throws {
        // Read first: a key changed while the rest loads is loaded again by the next key update, which is harmless.
        let (version, keysVersion) = try await store.versions()
        let keys = try await store.activeKeys()
        let unreadable = keys.filter { !$0.policyReadable }
        if !unreadable.isEmpty {
            logger.error(
                "API keys with an unreadable stored policy are refused",
                metadata: ["keys": "\(unreadable.map(\.id).joined(separator: ","))"])
        }
        var snapshot = RuntimeSnapshot(
            keys: keys, channels: try await store.enabledChannelsWithSecrets(),
            prices: try await store.prices(), version: version)
        snapshot.keysVersion = keysVersion
        snapshots.replace(snapshot)
        writer.requestBalanceReload()
    }

    /// Applies the keys created or revoked since the snapshot's keys version: one query for the changed rows, no
    /// reload of other keys, routes, prices or balances (a new key has spent nothing).
    public func applyKeyChanges() async throws {
        let current = snapshots.snapshot
        let changes = try await store.keysChanged(since: current.keysVersion)
        guard !changes.isEmpty else { return }
        let unreadable = changes.filter { !$0.key.policyReadable }
        if !unreadable.isEmpty {
            logger.error(
                "API keys with an unreadable stored policy are refused",
                metadata: ["keys": "\(unreadable.map(\.key.id).joined(separator: ","))"])
        }
        // Built outside the snapshot lock (copying the key table costs its size), swapped in only if nothing
        // replaced the snapshot meanwhile; otherwise the next tick tries again.
        snapshots.replace(current.applying(changes), ifGeneration: current.generation)
    }

    public func run() async throws {
        var ticks = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(self.intervalMillis)) }
            do {
                let (version, keysVersion) = try await store.versions()
                let snapshot = snapshots.snapshot
                // A keys version behind ours means the database was restored under us: start again from it.
                if version != snapshot.version || keysVersion < snapshot.keysVersion {
                    try await reload()
                } else if keysVersion != snapshot.keysVersion {
                    try await applyKeyChanges()
                }
                ticks += 1
                if ticks % 5 == 0 { try await saveHealth() }
            } catch {
                logger.error("configuration reload failed", metadata: ["error": "\(type(of: error))"])
            }
        }
        try? await saveHealth()
    }

    /// Stores the health measured since the last save, for `wharf channel list` and other nodes' operators.
    public func saveHealth() async throws {
        let now = store.clock.nowMillis()
        let records = health.drainSnapshot().map {
            ChannelHealthRecord(
                channelID: $0.channelID, state: $0.state, requests: $0.requests, failures: $0.failures,
                latencyMillis: $0.meanLatencyMillis, updatedAt: now)
        }
        try await store.saveChannelHealth(records)
    }
}
