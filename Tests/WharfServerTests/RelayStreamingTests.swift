import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
import WharfCore
import WharfStorage

@Suite("Relay: streaming")
struct RelayStreamingTests {
    @Test("The first chunk reaches the client while upstream is still sending")
    func firstChunkNotBuffered() async throws {
        try await RelayHarness.with { h in
            let request = h.streamRequest(model: "slow")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            var chunks = 0
            var sawFirstBeforeEnd = false
            for try await _ in response.body {
                chunks += 1
                // The slow stub sends 7 events 300 ms apart; when the first arrives, upstream has not finished.
                if chunks == 1 { sawFirstBeforeEnd = h.stubLog.completedStreams.load(ordering: .relaxed) == 0 }
            }
            #expect(sawFirstBeforeEnd)
            #expect(chunks >= 3)
        }
    }

    @Test("A client that disconnects mid-stream does not lower its price: the upstream is read to its usage")
    func clientDisconnectStillPays() async throws {
        try await RelayHarness.with { h in
            let request = h.streamRequest(model: "slow")
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            let task = Task {
                let response = try await client.execute(request, timeout: .seconds(30))
                var n = 0
                for try await _ in response.body {
                    n += 1
                    if n == 2 { break }
                }
            }
            _ = try? await task.value
            try await client.shutdown()
            #expect(
                try await h.eventually(5) {
                    await h.services.writer.flush()
                    return try await h.store.usageRecords(userID: h.user.id).first?.status == "client_disconnected"
                })
            let record = try #require(try await h.store.usageRecords(userID: h.user.id).first)
            #expect(record.cost.micros == stubCost)
            #expect(h.stubLog.completedStreams.load(ordering: .relaxed) == 1)
            #expect(h.stubLog.abortedStreams.load(ordering: .relaxed) == 0)
            #expect(try await h.store.verifyLedger().isEmpty)
        }
    }

    @Test("200 concurrent streams, a tenth of them abandoned, leave balances and the ledger exact")
    func concurrentStreamsBalance() async throws {
        try await RelayHarness.with { h in
            let port = h.port
            let key = h.key
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<200 {
                    group.addTask {
                        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/chat/completions")
                        request.method = .POST
                        request.headers.add(name: "authorization", value: "Bearer \(key)")
                        request.body = .bytes(
                            ByteBuffer(
                                string: RelayHarness.chat(model: i % 10 == 0 ? "slow" : "gpt-4o-mini", stream: true)))
                        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
                        for try await _ in response.body where i % 10 == 0 { break }
                    }
                }
                try await group.waitForAll()
            }
            // An abandoned stream is still read to its end (the slow stub writes every 300 ms).
            #expect(
                try await h.eventually(8) {
                    await h.services.writer.flush()
                    return try await h.store.usageRecords(userID: h.user.id, limit: 1000).count == 200
                })
            let balance = try await h.flushedBalance()
            let records = try await h.store.usageRecords(userID: h.user.id, limit: 1000)
            let total = records.reduce(0) { $0 + $1.cost.micros }
            #expect(balance.micros == startBalance - total)
            #expect(records.filter { $0.status == "ok" }.count >= 180)
            #expect(try await h.store.verifyLedger().isEmpty)
        }
    }
}
