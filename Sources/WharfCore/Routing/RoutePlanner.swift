/// Orders the channels that may serve a request: the highest priority tier first, and inside a tier a weighted
/// random order (a channel with twice the weight comes first twice as often). Pure: randomness is injected.
public enum RoutePlanner {
    /// The attempt order for `candidates`. Channels with weight ≤ 0 come last in their tier.
    public static func order<C>(
        _ candidates: [C], priority: (C) -> Int, weight: (C) -> Int, using rng: inout some RandomNumberGenerator
    ) -> [C] {
        // One channel (the common case) has one order; no grouping, sorting or random number needed.
        if candidates.count == 1 { return candidates }
        let tiers = Dictionary(grouping: candidates, by: priority).sorted { $0.key > $1.key }
        var result: [C] = []
        result.reserveCapacity(candidates.count)
        for (_, tier) in tiers {
            var pool = tier
            while !pool.isEmpty {
                let total = pool.reduce(0) { $0 + max(0, weight($1)) }
                var index = 0
                if total > 0 {
                    var pick = Int.random(in: 0..<total, using: &rng)
                    for (i, c) in pool.enumerated() {
                        let w = max(0, weight(c))
                        if pick < w {
                            index = i
                            break
                        }
                        pick -= w
                    }
                }
                result.append(pool.remove(at: index))
            }
        }
        return result
    }
}

/// What a key or account requires of the upstreams its requests may reach (promise P10).
public struct TransferConstraints: Hashable, Sendable, Codable {
    /// Allowed regions; empty means any.
    public var regions: Set<String>
    /// Only providers that keep nothing.
    public var requireZeroRetention: Bool

    /// Creates constraints.
    public init(regions: Set<String> = [], requireZeroRetention: Bool = false) {
        self.regions = regions
        self.requireZeroRetention = requireZeroRetention
    }

    /// No constraint.
    public static let none = TransferConstraints()

    /// Whether `channel` satisfies these constraints.
    public func allows(_ channel: Channel) -> Bool {
        (regions.isEmpty || regions.contains(channel.region)) && (!requireZeroRetention || !channel.dataPolicy.retains)
    }
}
