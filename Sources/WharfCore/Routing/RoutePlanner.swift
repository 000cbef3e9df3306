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
    /// Only providers that do not train on the data.
    public var requireNoTraining: Bool

    /// Creates constraints.
    public init(regions: Set<String> = [], requireZeroRetention: Bool = false, requireNoTraining: Bool = false) {
        self.regions = regions
        self.requireZeroRetention = requireZeroRetention
        self.requireNoTraining = requireNoTraining
    }

    /// No constraint.
    public static let none = TransferConstraints()

    /// Whether `channel` satisfies these constraints. Regions compare case-insensitively; a channel without a
    /// declared region satisfies no region constraint.
    public func allows(_ channel: Channel) -> Bool {
        let region = channel.region.lowercased()
        if regions.contains(Self.noRegion) { return false }
        return (regions.isEmpty || (!region.isEmpty && regions.contains(region)))
            && (!requireZeroRetention || !channel.dataPolicy.retains)
            && (!requireNoTraining || !channel.dataPolicy.trains)
    }

    /// Both sets of constraints at once (a key's and its account's): the regions both allow, and every requirement
    /// of either. Two region lists with nothing in common allow no region at all.
    public func combined(with other: TransferConstraints) -> TransferConstraints {
        var regions = self.regions
        var impossible = false
        if regions.isEmpty {
            regions = other.regions
        } else if !other.regions.isEmpty {
            regions.formIntersection(other.regions)
            impossible = regions.isEmpty
        }
        return TransferConstraints(
            regions: impossible ? [Self.noRegion] : regions,
            requireZeroRetention: requireZeroRetention || other.requireZeroRetention,
            requireNoTraining: requireNoTraining || other.requireNoTraining)
    }

    /// A region no channel declares: what two disjoint region lists leave.
    static let noRegion = "(none)"

    /// Parses a comma-separated region list (`eu,us`), lower-cased; nil when an item is not a plain region name.
    public static func parseRegions(_ text: String) -> Set<String>? {
        var out = Set<String>()
        for item in text.split(separator: ",") {
            let region = item.trimmingCharacters(in: .whitespaces).lowercased()
            guard !region.isEmpty, region.count <= 32,
                region.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
            else { return nil }
            out.insert(region)
        }
        return out
    }

    /// A human description, e.g. `regions eu, us; zero retention; no training`.
    public var summary: String {
        var parts: [String] = []
        if !regions.isEmpty { parts.append("regions " + regions.sorted().joined(separator: ", ")) }
        if requireZeroRetention { parts.append("zero retention") }
        if requireNoTraining { parts.append("no training") }
        return parts.isEmpty ? "none" : parts.joined(separator: "; ")
    }
}
