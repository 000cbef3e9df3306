import NIOCore
import NIOEmbedded
import Testing

@testable import WharfUpstream

/// Writes flushed at the end of the event loop's turn: nothing goes out while the turn's reads are being handled,
/// then every connection written to goes out, in the order it was written to.
@Suite("Flushing at the end of the event loop's turn")
struct EndOfTurnFlushTests {
    final class Writer: EndOfTurnFlushable {
        let name: String
        let log: Log
        init(_ name: String, log: Log) {
            self.name = name
            self.log = log
        }
        func flushNow() { log.flushed.append(name) }
    }

    final class Log {
        var flushed: [String] = []
    }

    @Test("Connections written to in one turn are flushed together once the turn's work is done, then again next turn")
    func flushedAtEndOfTurn() {
        let loop = EmbeddedEventLoop()
        let pool = UpstreamLoopPool(eventLoop: loop, connectTimeout: .seconds(1), idleTimeout: .seconds(1), tls: nil)
        let log = Log()
        let a = Writer("a", log: log)
        let b = Writer("b", log: log)
        pool.flushAtEndOfTurn(a)
        pool.flushAtEndOfTurn(b)
        #expect(log.flushed.isEmpty, "nothing goes out during the turn")
        loop.run()
        #expect(log.flushed == ["a", "b"])
        pool.flushAtEndOfTurn(b)
        loop.run()
        #expect(log.flushed == ["a", "b", "b"], "a later turn flushes what it wrote")
    }
}
