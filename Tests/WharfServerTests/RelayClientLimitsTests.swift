import Foundation
import NIOCore
import Testing
import WharfCore

/// Connections that hold the server's resources without sending (or reading) what a request needs are closed.
@Suite("Relay: client time limits and refused requests")
struct RelayClientLimitsTests {
    static let tune: @Sendable (inout WharfConfig) -> Void = { c in
        c.clientIdleTimeoutMillis = 400
        c.clientHeaderTimeoutMillis = 400
        c.clientBodyTimeoutMillis = 600
        c.clientStallTimeoutMillis = 600
    }

    /// Sends `pieces` (a little apart) on one connection and returns how long the server took to close it.
    static func closedAfter(_ port: Int, _ pieces: [String], gapMillis: Int = 0) async throws -> Duration {
        let started = ContinuousClock.now
        if pieces.count <= 1 {
            _ = try await RawHTTP.exchange(port: port, pieces.first ?? "")
        } else {
            _ = try await RawHTTP.withConnection(port: port) { session in
                for piece in pieces {
                    try? await session.outbound.write(ByteBuffer(string: piece))
                    try await Task.sleep(for: .milliseconds(gapMillis))
                }
                return 0
            }
        }
        return ContinuousClock.now - started
    }

    @Test("An idle connection, one with half a head, and one whose body trickles in are closed by their limits")
    func timeouts() async throws {
        try await RelayHarness.with(tune: Self.tune) { h in
            // The exchange returns when the server closes the connection (or after 10 s, a failure).
            let idle = try await Self.closedAfter(h.port, [""])
            #expect(idle < .seconds(3))
            let halfHead = try await Self.closedAfter(
                h.port, ["POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bea"])
            #expect(halfHead < .seconds(3))
            let head = RawHTTP.chatPost(String(repeating: " ", count: 200), key: h.key)
            let headOnly = String(head.prefix(head.utf8.count - 200))
            let started = ContinuousClock.now
            let answer = try await RawHTTP.exchange(port: h.port, headOnly + " ")
            #expect(ContinuousClock.now - started < .seconds(3))
            #expect(answer.isEmpty, "nothing is answered for a body that never completes")
        }
    }

    @Test("A connection that keeps sending refused requests is closed after 32 of them")
    func refusedInARow() async throws {
        try await RelayHarness.with { h in
            let keyless = RawHTTP.chatPost(RelayHarness.chat(), key: "sk-nope")
            let answer = try await RawHTTP.exchange(port: h.port, String(repeating: keyless, count: 100))
            let answers = answer.components(separatedBy: "HTTP/1.1 401").count - 1
            #expect(answers == 32)
            #expect(answer.contains("connection: close"))
        }
    }
}
