import Testing
import WharfCore

@Suite("Client connection time limits")
struct ClientDeadlinesTests {
    static let limits = ClientDeadlines.Limits(idle: 1000, head: 300, body: 500, stall: 700)

    @Test("A connection that sends nothing is idle until its limit")
    func idle() {
        let d = ClientDeadlines(limits: Self.limits, openedAt: 0)
        #expect(d.check(at: 999).expired == nil)
        #expect(d.check(at: 999).nextIn == 1)
        #expect(d.check(at: 1000).expired == .idle)
    }

    @Test("Half a head is cut at the head limit, earlier than idle")
    func halfHead() {
        var d = ClientDeadlines(limits: Self.limits, openedAt: 0)
        d.bytesArrived(at: 100)
        d.bytesArrived(at: 350)
        #expect(d.check(at: 399).expired == nil)
        #expect(d.check(at: 400).expired == .head)
    }

    @Test("A body is limited as a whole: bytes now and then do not extend it")
    func slowBody() {
        var d = ClientDeadlines(limits: Self.limits, openedAt: 0)
        d.bytesArrived(at: 10)
        d.headTaken(at: 20)
        for t in stride(from: 30, to: 520, by: 50) {
            d.bytesArrived(at: Int64(t))
            #expect(d.check(at: Int64(t)).expired == nil)
        }
        #expect(d.check(at: 520).expired == .body)
        d.bodyEnded()
        #expect(d.check(at: 520).expired == nil)
    }

    @Test("While an answer is written and read, no limit runs; a client that stops reading is cut at the stall limit")
    func stall() {
        var d = ClientDeadlines(limits: Self.limits, openedAt: 0)
        d.bytesArrived(at: 0)
        d.headTaken(at: 0)
        d.bodyEnded()
        #expect(d.check(at: 100_000).expired == nil)
        #expect(d.check(at: 100_000).nextIn == nil)
        d.writable(false, at: 100_000)
        d.writable(false, at: 100_500)
        #expect(d.check(at: 100_699).expired == nil)
        #expect(d.check(at: 100_700).expired == .stall)
        d.writable(true, at: 100_700)
        #expect(d.check(at: 200_000).expired == nil)
        d.becameIdle(at: 200_000)
        #expect(d.check(at: 201_000).expired == .idle)
    }
}
