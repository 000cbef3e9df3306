import Synchronization
import WharfCore
import WharfStorage
import WharfUpstream

/// Everything a relay request needs to know, held in memory: keys by hash, routes by model, prices. Built from the
/// database by the config watcher and swapped atomically, so the hot path never queries the database.
public struct RuntimeSnapshot: Sendable {
    /// A usable key.
    public struct Key: Sendable {
        public var id: String
        public var userID: String
        public var policy: KeyPolicy
        /// The owner's role (the admin API accepts only admin and root keys).
        public var role: Role
    }

    /// Active keys of active accounts, by SHA-256 of the secret.
    public var keys: [String: Key] = [:]
    /// Enabled channels able to serve each public model name.
    public var routes: [String: [UpstreamTarget]] = [:]
    /// Prices by model.
    public var prices: [String: ModelPrice] = [:]
    /// The configuration version the snapshot was built from.
    public var version: Int64 = 0
    /// The keys version its keys are current to (key creation and revocation are applied one by one, see
    /// ``applying(_:)``).
    public var keysVersion: Int64 = 0
    /// Changes each time a ``SnapshotStore`` takes a snapshot, so what was derived from an older one (a connection's
    /// remembered key) can tell it is stale.
    public internal(set) var generation: UInt64 = 0

    /// An empty snapshot.
    public init() {}

    /// Builds a snapshot from stored records.
    public init(keys: [KeyRecord], channels: [ChannelWithSecret], prices: [String: ModelPrice], version: Int64) {
        // A key whose stored policy cannot be read is left out: it is refused as unknown (fail closed).
        for k in keys where k.status == .active && k.policyReadable {
            self.keys[k.keyHash] = Key(id: k.id, userID: k.userID, policy: k.policy, role: k.ownerRole ?? .user)
        }
        for c in channels where c.channel.status == .enabled {
            let target = UpstreamTarget(channel: c.channel, apiKey: c.apiKey)
            for model in c.channel.models { routes[model, default: []].append(target) }
        }
        self.prices = prices
        self.version = version
    }

    /// This snapshot with key changes applied: a key that is active, readable and whose owner is active is
    /// (re)added; any other is removed. A database query of the changed rows only; in memory, one copy of the key
    /// table (made outside the snapshot's lock, see ``SnapshotStore/replace(_:ifGeneration:)``).
    public func applying(_ changes: [WharfStore.KeyChange]) -> RuntimeSnapshot {
        var next = self
        for change in changes {
            let k = change.key
            if k.status == .active, k.policyReadable, change.ownerActive {
                next.keys[k.keyHash] = Key(id: k.id, userID: k.userID, policy: k.policy, role: k.ownerRole ?? .user)
            } else {
                next.keys[k.keyHash] = nil
            }
            next.keysVersion = max(next.keysVersion, change.version)
        }
        return next
    }
}

/// Holds the current snapshot; readers take a copy (a few reference-count bumps), the watcher swaps it.
public final class SnapshotStore: Sendable {
    let current: Mutex<RuntimeSnapshot>

    /// Creates a store holding `snapshot`.
    public init(_ snapshot: RuntimeSnapshot = RuntimeSnapshot()) { current = Mutex(snapshot) }

    /// The current snapshot.
    public var snapshot: RuntimeSnapshot { current.withLock { $0 } }

    /// Replaces the snapshot with `snapshot` if the current one is still of `generation` (nothing replaced it
    /// since `snapshot` was derived from it); returns whether it did.
    @discardableResult
    public func replace(_ snapshot: RuntimeSnapshot, ifGeneration generation: UInt64) -> Bool {
        current.withLock {
            guard $0.generation == generation else { return false }
            var next = snapshot
            next.generation = generation &+ 1
            $0 = next
            return true
        }
    }

    /// Replaces the snapshot.
    public func replace(_ snapshot: RuntimeSnapshot) {
        current.withLock {
            let generation = $0.generation &+ 1
            $0 = snapshot
            $0.generation = generation
        }
    }
}
