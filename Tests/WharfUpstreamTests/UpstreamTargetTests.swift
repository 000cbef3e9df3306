import Testing
import WharfCore
import WharfUpstream

@Suite("Upstream targets and channel health")
struct UpstreamTargetTests {
    static func channel(_ provider: ProviderKind, base: String = "https://api.example.com/v1/") -> Channel {
        Channel(id: "chn_1", name: "c", provider: provider, baseURL: base, models: ["m"])
    }

    @Test("Endpoint URLs join the base URL without doubled slashes")
    func urls() {
        let target = UpstreamTarget(channel: Self.channel(.openai, base: "https://api.example.com/v1//"), apiKey: "k")
        #expect(target.url("/chat/completions") == "https://api.example.com/v1/chat/completions")
    }

    @Test("A breaker opens after the configured failures, admits one probe after the cool-down, and closes on success")
    func healthBoard() {
        let board = ChannelHealthBoard(failureThreshold: 2, cooldownMillis: 100)
        #expect(board.admit("a", now: 0))
        board.record("a", success: false, latencyMillis: 10, now: 0)
        board.record("a", success: false, latencyMillis: 30, now: 1)
        #expect(board.state("a") == "open")
        #expect(!board.admit("a", now: 50))
        #expect(board.admit("a", now: 101))
        #expect(!board.admit("a", now: 102))
        board.record("a", success: true, latencyMillis: 5, now: 103)
        #expect(board.state("a") == "closed")
        let health = board.drainSnapshot().first { $0.channelID == "a" }
        #expect(health?.requests == 3)
        #expect(health?.failures == 2)
        #expect(health?.meanLatencyMillis == 15)
        #expect(board.drainSnapshot().first { $0.channelID == "a" }?.requests == 0)
    }

    @Test("Channels never seen are closed")
    func unknownChannel() {
        #expect(ChannelHealthBoard(failureThreshold: 1, cooldownMillis: 1).state("nope") == "closed")
    }
}
