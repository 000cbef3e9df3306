import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOHTTP1
import Testing
import WharfCore
import WharfServer
import WharfStorage

/// A running Wharf (real application, real SQLite file, live HTTP on port 0) in front of a running stub upstream.
/// Scenarios talk to it over HTTP with AsyncHTTPClient, like any client would.
struct RelayHarness {
    let runtime: WharfRuntime
    let services: WharfServices
    let stubLog: StubUpstream.Log
    let stubPort: Int
    let port: Int
    let user: UserRecord
    let key: String

    var store: WharfStore { runtime.store }

    /// A channel to create, pointing at the stub unless `baseURL` is given.
    struct ChannelSpec {
        var name: String
        var models: [String]
        var priority = 0
        var baseURL: String?
        var mapping: [String: String] = [:]
        var capabilities: Set<String> = ["chat", "completions", "embeddings"]
        var region = "unknown"
        var dataPolicy = DataPolicy(retains: true, trains: false)
    }

    static let defaultModels = [
        "gpt-4o-mini", "cut", "slow", "fail-500", "fail-429", "reject-400", "timeout", "malformed", "long-answer",
        "text-embedding-3-small",
    ]

    /// A high-priority channel whose upstream always answers 500 (its model is mapped to `fail-500`) in front of a
    /// working one.
    static let brokenThenGood = [
        ChannelSpec(name: "broken", models: ["gpt-4o-mini"], priority: 10, mapping: ["gpt-4o-mini": "fail-500"]),
        ChannelSpec(name: "good", models: ["gpt-4o-mini"], priority: 0),
    ]

    /// Price used for every model: $1 per million prompt tokens, $2 per million completion tokens.
    static let price = ModelPrice(inputPerMillion: Money(micros: 1_000_000), outputPerMillion: Money(micros: 2_000_000))

    static func with(
        channels: [ChannelSpec] = [ChannelSpec(name: "stub", models: defaultModels)],
        balance: Money = Money(micros: 5_000_000),
        tune: @Sendable (inout WharfConfig) -> Void = { _ in },
        apiKey: @Sendable (String) -> String = { "upstream-key-\($0)" },
        _ body: @Sendable (RelayHarness) async throws -> Void
    ) async throws {
        let log = StubUpstream.Log()
        let stub = Application(
            router: StubUpstream.router(log: log),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            logger: Logger(label: "stub"))
        try await stub.test(.live) { stubClient in
            let stubPort = try #require(stubClient.port)
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wharf-relay-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: dir) }
            var config = WharfConfig()
            config.retentionJobEnabled = false
            config.dataDir = dir.path
            config.port = 0
            config.masterKey = Data((0..<32).map { UInt8($0) }).base64EncodedString()
            config.passwordHashCost = 4
            config.reloadIntervalMillis = 100
            config.usageFlushMillis = 50
            config.upstreamReadTimeoutMillis = 1000
            config.breakerFailures = 100
            tune(&config)
            var logger = Logger(label: "wharf-test")
            logger.logLevel = .warning
            let runtime = try await WharfRuntime.open(config: config, logger: logger)
            let store = runtime.store
            let user = try await store.createUser(
                email: EmailAddress("alice@example.com")!, username: "alice", passwordHash: "x", role: .user)
            if balance.micros > 0 { _ = try await store.post(userID: user.id, kind: .grant, amount: balance) }
            let (_, secret) = try await store.createKey(userID: user.id, name: "test")
            for spec in channels {
                try await store.addChannel(
                    Channel(
                        id: WharfID.make("chn"), name: spec.name, provider: .openaiCompatible,
                        baseURL: spec.baseURL ?? "http://127.0.0.1:\(stubPort)/v1", models: spec.models,
                        modelMapping: spec.mapping, priority: spec.priority, region: spec.region,
                        dataPolicy: spec.dataPolicy, capabilities: spec.capabilities),
                    apiKey: apiKey(spec.name))
                for model in spec.models { try await store.setPrice(model: model, price: price) }
            }
            let (app, services) = try await buildApplication(runtime: runtime)
            do {
                try await app.test(.live) { client in
                    let harness = RelayHarness(
                        runtime: runtime, services: services, stubLog: log, stubPort: stubPort,
                        port: try #require(client.port),
                        user: user, key: secret.value)
                    try await body(harness)
                }
            } catch {
                // Shut down even when a scenario failed, so the failure is reported instead of a crash.
                await services.upstream.shutdown()
                await runtime.close()
                throw error
            }
            await services.upstream.shutdown()
            await runtime.close()
        }
    }

    /// An HTTP answer.
    struct Answer {
        var status: Int
        var body: String
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
        var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
    }

    /// Sends a request to the gateway and reads the whole answer.
    func request(
        _ path: String, method: HTTPMethod = .POST, body: String? = nil, key: String? = nil,
        headers extra: [(String, String)] = []
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        let k = key ?? self.key
        if !k.isEmpty { request.headers.add(name: "authorization", value: "Bearer \(k)") }
        for (n, v) in extra { request.headers.add(name: n, value: v) }
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let buffer = try await response.body.collect(upTo: 1 << 26)
        return Answer(status: Int(response.status.code), body: String(buffer: buffer))
    }

    /// A streamed chat request to send with AsyncHTTPClient directly (to watch chunks as they arrive).
    func streamRequest(model: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/chat/completions")
        request.method = .POST
        request.headers.add(name: "authorization", value: "Bearer \(key)")
        request.body = .bytes(ByteBuffer(string: RelayHarness.chat(model: model, stream: true)))
        return request
    }

    /// A chat request body.
    static func chat(
        model: String = "gpt-4o-mini", prompt: String = "Say hello", stream: Bool = false, extra: String = ""
    ) -> String {
        #"{"model":"\#(model)","messages":[{"role":"user","content":"\#(prompt)"}],"stream":\#(stream)\#(extra)}"#
    }

    /// Creates an account that can sign in with `password` (hashed at the tests' low cost).
    @discardableResult
    func makeAccount(email: String, username: String, role: Role, password: String = "a long password 1")
        async throws -> UserRecord
    {
        try await store.createUser(
            email: EmailAddress(email)!, username: username,
            passwordHash: try await AccountService.hash(password, cost: 4), role: role)
    }

    /// Writes queued usage and returns the stored balance.
    func flushedBalance() async throws -> Money {
        await services.writer.flush()
        return try await store.balance(userID: user.id)
    }

    /// Waits until `condition` holds or `seconds` pass.
    func eventually(_ seconds: Double = 3, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }
}
