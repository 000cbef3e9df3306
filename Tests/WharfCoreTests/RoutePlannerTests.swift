import Testing
import WharfCore
import WharfTestSupport

@Suite("Route planner")
struct RoutePlannerTests {
    struct Candidate: Equatable, Hashable, Sendable, CustomStringConvertible {
        var name: String
        var priority: Int
        var weight: Int
        var description: String { name }
    }

    static func order(_ candidates: [Candidate], using rng: inout SplitMix64) -> [Candidate] {
        RoutePlanner.order(candidates, priority: \.priority, weight: \.weight, using: &rng)
    }

    @Test("A higher priority tier always comes before a lower one, whatever the weights")
    func priorityFirst() {
        let candidates = [
            Candidate(name: "low-heavy", priority: 1, weight: 100),
            Candidate(name: "top-zero", priority: 3, weight: 0),
            Candidate(name: "mid", priority: 2, weight: 1),
            Candidate(name: "top", priority: 3, weight: 1),
            Candidate(name: "low", priority: 1, weight: 5),
            Candidate(name: "negative-tier", priority: -1, weight: 1_000),
        ]
        var rng = SplitMix64(seed: 7)
        for run in 0..<1_000 {
            let ordered = Self.order(candidates, using: &rng)
            #expect(ordered.map(\.priority) == [3, 3, 2, 1, 1, -1], "run \(run)")
            #expect(Set(ordered) == Set(candidates), "run \(run)")
            #expect(ordered.count == candidates.count, "run \(run)")
        }
    }

    /// How often each candidate comes first over `runs` orderings.
    static func firstPlaceShares(_ candidates: [Candidate], runs: Int, seed: UInt64) -> [String: Double] {
        var rng = SplitMix64(seed: seed)
        var counts: [String: Int] = [:]
        for _ in 0..<runs {
            let first = Self.order(candidates, using: &rng)[0]
            counts[first.name, default: 0] += 1
        }
        return counts.mapValues { Double($0) / Double(runs) }
    }

    @Test(
        "Inside a tier, a channel with weight 3 against weight 1 comes first three times in four", arguments: [1, 42])
    func weightedShare(seed: UInt64) {
        let candidates = [Candidate(name: "a", priority: 0, weight: 3), Candidate(name: "b", priority: 0, weight: 1)]
        let shares = Self.firstPlaceShares(candidates, runs: 10_000, seed: seed)
        #expect(abs((shares["a"] ?? 0) - 0.75) < 0.02, "share of a: \(shares["a"] ?? 0)")
        #expect(abs((shares["b"] ?? 0) - 0.25) < 0.02, "share of b: \(shares["b"] ?? 0)")
    }

    @Test("Three weights 1:1:2 split first place a quarter, a quarter and a half")
    func threeWayShare() {
        let candidates = [
            Candidate(name: "a", priority: 5, weight: 1), Candidate(name: "b", priority: 5, weight: 1),
            Candidate(name: "c", priority: 5, weight: 2),
        ]
        let shares = Self.firstPlaceShares(candidates, runs: 10_000, seed: 99)
        #expect(abs((shares["a"] ?? 0) - 0.25) < 0.02)
        #expect(abs((shares["b"] ?? 0) - 0.25) < 0.02)
        #expect(abs((shares["c"] ?? 0) - 0.50) < 0.02)
    }

    @Test("A channel with weight 0 or less comes last in its tier")
    func zeroWeightLast() {
        let candidates = [
            Candidate(name: "zero", priority: 0, weight: 0),
            Candidate(name: "a", priority: 0, weight: 1),
            Candidate(name: "negative", priority: 0, weight: -4),
            Candidate(name: "b", priority: 0, weight: 2),
        ]
        var rng = SplitMix64(seed: 3)
        for run in 0..<1_000 {
            let ordered = Self.order(candidates, using: &rng).map(\.name)
            #expect(Set(ordered.prefix(2)) == ["a", "b"], "run \(run)")
            #expect(ordered.suffix(2) == ["zero", "negative"], "run \(run): zero weights keep their order")
        }
    }

    @Test("When every weight is zero, the tier keeps its given order")
    func allZeroWeights() {
        let candidates = (0..<5).map { Candidate(name: "c\($0)", priority: 0, weight: 0) }
        var rng = SplitMix64(seed: 11)
        #expect(Self.order(candidates, using: &rng) == candidates)
    }

    @Test("The order is a function of the random source: the same seed gives the same order")
    func deterministic() {
        let candidates = (0..<8).map { Candidate(name: "c\($0)", priority: $0 % 2, weight: $0 + 1) }
        var first = SplitMix64(seed: 2024)
        var second = SplitMix64(seed: 2024)
        for _ in 0..<100 {
            #expect(Self.order(candidates, using: &first) == Self.order(candidates, using: &second))
        }
    }

    @Test("Every candidate of a tier is reached first sometimes, so failover spreads load")
    func everyoneGetsFirst() {
        let candidates = (0..<4).map { Candidate(name: "c\($0)", priority: 0, weight: 1) }
        let shares = Self.firstPlaceShares(candidates, runs: 4_000, seed: 5)
        #expect(shares.count == 4)
        for (_, share) in shares { #expect(abs(share - 0.25) < 0.03) }
    }

    @Test("No candidates give an empty order")
    func empty() {
        var rng = SplitMix64(seed: 0)
        #expect(Self.order([], using: &rng).isEmpty)
    }
}
