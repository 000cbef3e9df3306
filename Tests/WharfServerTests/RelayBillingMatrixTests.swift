import Foundation
import Synchronization
import Testing
import WharfCore
import WharfStorage

/// The billing policy, asserted amount by amount for each way an upstream or a client can behave. Prices are $1/M
/// input, $0.50/M cached input and $2/M output tokens, so a cost in micro-units is
/// `(prompt − cached) + cached / 2 + 2 × completion`:
/// - with usage from upstream, that usage, whatever the hold was;
/// - without it, `⌈body bytes / 3⌉ + 2 × ⌈text bytes / 4⌉`, the text being every generated string the upstream sent
///   (every choice, reasoning and tool arguments), decoded.
@Suite("Relay: the billing matrix")
struct RelayBillingMatrixTests {
    /// How an upstream writes its JSON and ends its lines.
    struct Form: CustomStringConvertible {
        var spaced: Bool
        var delimiter: String
        var description: String { "\(spaced ? "spaced" : "compact") \(Array(delimiter.utf8))" }
        static let all = [false, true].flatMap { spaced in
            ["\n", "\r\n", "\r"].map { Form(spaced: spaced, delimiter: $0) }
        }
    }

    /// Generated text per event and choice.
    static let texts = [["Hel", "Bon"], ["lo, wör", "jour à"], ["ld \u{1F600}", " tous"], ["!", "\"ok\""]]
    /// The usage the upstream reports: 40 prompt tokens of which 10 cached, 25 completion tokens.
    static let usage = (prompt: Int64(40), completion: Int64(25), cached: Int64(10))
    /// Its cost: 30 uncached + 10 cached at half price + 25 at twice the input price.
    static let usageCost: Int64 = 30 + 5 + 50

    /// A chat stream as an upstream writes it: a role event, one event per text, a finish event, the usage-only
    /// chunk when `withUsage`, and `[DONE]`.
    static func events(
        choices: Int, withUsage: Bool, form: Form,
        usage: (prompt: Int64, completion: Int64, cached: Int64) = usage
    ) -> [String] {
        let c = form.spaced ? ": " : ":"
        let s = form.spaced ? ", " : ","
        func event(_ json: String) -> String { "data: " + json + form.delimiter + form.delimiter }
        func chunk(_ deltas: [String], finish: String = "null") -> String {
            let list = deltas.enumerated().map { i, delta in
                "{\"index\"\(c)\(i)\(s)\"delta\"\(c)\(delta)\(s)\"finish_reason\"\(c)\(finish)}"
            }
            return event(
                "{\"id\"\(c)\"chatcmpl-1\"\(s)\"object\"\(c)\"chat.completion.chunk\"\(s)\"choices\"\(c)["
                    + list.joined(separator: s) + "]}")
        }
        var out = [chunk((0..<choices).map { _ in "{\"role\"\(c)\"assistant\"\(s)\"content\"\(c)\"\"}" })]
        for row in texts {
            out.append(chunk((0..<choices).map { "{\"content\"\(c)\(JSONText.quotedString(row[$0 % 2]))}" }))
        }
        out.append(chunk((0..<choices).map { _ in "{}" }, finish: "\"stop\""))
        if withUsage {
            out.append(
                event(
                    "{\"id\"\(c)\"chatcmpl-1\"\(s)\"choices\"\(c)[]\(s)\"usage\"\(c){\"prompt_tokens\"\(c)\(usage.prompt)\(s)"
                        + "\"completion_tokens\"\(c)\(usage.completion)\(s)\"prompt_tokens_details\"\(c)"
                        + "{\"cached_tokens\"\(c)\(usage.cached)}\(s)\"completion_tokens_details\"\(c)"
                        + "{\"reasoning_tokens\"\(c)7}}}"))
        }
        out.append(event("[DONE]"))
        return out
    }

    /// Text bytes in the first `events` events of a stream with `choices` choices.
    static func textBytes(choices: Int, events: Int) -> Int {
        // Event 0 is the role event; events 1...texts.count carry text.
        texts.prefix(max(0, events - 1)).reduce(0) { total, row in
            total + (0..<choices).reduce(0) { $0 + row[$1 % 2].utf8.count }
        }
    }

    static func estimate(body: String, textBytes: Int) -> Int64 {
        Int64((body.utf8.count + 2) / 3) + 2 * Int64((textBytes + 3) / 4)
    }

    static let models = (0..<80).map { "script-\($0)" }

    /// Runs `body` with a harness whose channel serves the script models.
    static func withHarness(
        balance: Money = Money(micros: 5_000_000), tune: @escaping @Sendable (inout WharfConfig) -> Void = { _ in },
        _ body: @Sendable (RelayHarness, Counter) async throws -> Void
    ) async throws {
        try await RelayHarness.with(
            channels: [RelayHarness.ChannelSpec(name: "stub", models: models)], balance: balance, tune: tune
        ) { h in
            // Cached input at half the input price, so a cached token that is billed as uncached shows.
            let price = ModelPrice(
                inputPerMillion: Money(micros: 1_000_000), outputPerMillion: Money(micros: 2_000_000),
                cachedInputPerMillion: Money(micros: 500_000))
            for model in models { try await h.store.setPrice(model: model, price: price) }
            let last = try #require(models.last)
            #expect(try await h.eventually { h.services.snapshots.snapshot.prices[last] == price })
            try await body(h, Counter())
        }
    }

    final class Counter: Sendable {
        let next = Atomic<Int>(0)
        /// A model name not used before in this harness.
        func model() -> String { "script-\(next.add(1, ordering: .relaxed).oldValue)" }
    }

    /// The one usage record of `model`, once written.
    static func record(_ h: RelayHarness, model: String) async throws -> UsageRecord {
        var found: UsageRecord?
        _ = try await h.eventually(8) {
            await h.services.writer.flush()
            found = try await h.store.usageRecords(userID: h.user.id, limit: 500).first { $0.model == model }
            return found != nil
        }
        return try #require(found, "no usage record for \(model)")
    }

    static func body(model: String, extra: String = "") -> String {
        #"{"model":"\#(model)","messages":[{"role":"user","content":"Tell me something"}],"stream":true\#(extra)}"#
    }

    @Test("A whole stream costs its usage when sent, else the estimate, in every JSON form and line ending")
    func wholeStreams() async throws {
        try await Self.withHarness { h, counter in
            for form in Form.all {
                for choices in [1, 3] {
                    for withUsage in [true, false] {
                        let model = counter.model()
                        let events = Self.events(choices: choices, withUsage: withUsage, form: form)
                        h.stubLog.scripts.withLock { $0[model] = .init(pieces: events) }
                        let body = Self.body(model: model, extra: choices > 1 ? #","n":\#(choices)"# : "")
                        let answer = try await RawHTTP.exchange(
                            port: h.port, RawHTTP.chatPost(body, key: h.key, headers: ["Connection: close"]))
                        let (text, complete) = RawHTTP.unchunk(answer)
                        let label = "\(form), n \(choices), usage \(withUsage)"
                        #expect(complete, "\(label)")
                        #expect(text.contains("[DONE]"), "\(label)")
                        #expect(!text.contains("prompt_tokens"), "\(label): the usage chunk nobody asked for is hidden")
                        let record = try await Self.record(h, model: model)
                        let expected =
                            withUsage
                            ? Self.usageCost
                            : Self.estimate(body: body, textBytes: Self.textBytes(choices: choices, events: 5))
                        #expect(record.cost.micros == expected, "\(label)")
                        #expect(record.status == "ok", "\(label)")
                    }
                }
            }
            #expect(try await h.store.verifyLedger().isEmpty)
        }
    }

    @Test("A stream the upstream cuts after any event costs what was produced, and the client sees the cut")
    func cutAfterEachEvent() async throws {
        try await Self.withHarness { h, counter in
            for form in [Form(spaced: true, delimiter: "\n"), Form(spaced: false, delimiter: "\r")] {
                let events = Self.events(choices: 2, withUsage: true, form: form)
                // Cut after 1...6 events: before [DONE] in every case; after 6 the usage chunk has arrived.
                for k in 1..<events.count {
                    let model = counter.model()
                    h.stubLog.scripts.withLock { $0[model] = .init(pieces: events, cutAfter: k) }
                    let body = Self.body(model: model, extra: #","n":2"#)
                    let answer = try await RawHTTP.exchange(port: h.port, RawHTTP.chatPost(body, key: h.key))
                    let (text, complete) = RawHTTP.unchunk(answer)
                    let label = "\(form), cut after \(k)"
                    #expect(!complete, "\(label): no last chunk")
                    #expect(text.contains(#""code":"upstream_cut""#), "\(label)")
                    let record = try await Self.record(h, model: model)
                    #expect(record.status == "upstream_cut", "\(label)")
                    let sawUsage = k > 6
                    let expected =
                        sawUsage
                        ? Self.usageCost
                        : Self.estimate(body: body, textBytes: Self.textBytes(choices: 2, events: k))
                    #expect(record.cost.micros == expected, "\(label)")
                }
            }
            #expect(try await h.store.verifyLedger().isEmpty)
        }
    }

    @Test("A client that hangs up after any event pays the whole answer: usage when sent, else all the text")
    func clientGoneAfterEachEvent() async throws {
        try await Self.withHarness { h, counter in
            for withUsage in [true, false] {
                let events = Self.events(choices: 1, withUsage: withUsage, form: Form(spaced: true, delimiter: "\n"))
                for k in 1...4 {
                    let model = counter.model()
                    h.stubLog.scripts.withLock { $0[model] = .init(pieces: events, pauseMillis: 40) }
                    let body = Self.body(model: model)
                    _ = try await RawHTTP.exchange(port: h.port, RawHTTP.chatPost(body, key: h.key)) { read in
                        read.components(separatedBy: "data:").count - 1 >= k
                    }
                    let record = try await Self.record(h, model: model)
                    let label = "usage \(withUsage), gone after \(k)"
                    #expect(record.status == "client_disconnected", "\(label)")
                    let expected =
                        withUsage
                        ? Self.usageCost
                        : Self.estimate(body: body, textBytes: Self.textBytes(choices: 1, events: 5))
                    #expect(record.cost.micros == expected, "\(label)")
                }
            }
            #expect(h.stubLog.abortedStreams.load(ordering: .relaxed) == 0, "every upstream answer was read to its end")
            #expect(try await h.store.verifyLedger().isEmpty)
        }
    }

    @Test("Past the drain bound the upstream is let go and the estimate of what was read is charged")
    func drainBound() async throws {
        let tune: @Sendable (inout WharfConfig) -> Void = { $0.disconnectDrainMillis = 150 }
        try await Self.withHarness(tune: tune) { h, counter in
            let model = counter.model()
            let events = Self.events(choices: 1, withUsage: true, form: Form(spaced: false, delimiter: "\n"))
            h.stubLog.scripts.withLock { $0[model] = .init(pieces: events, pauseMillis: 400) }
            let body = Self.body(model: model)
            _ = try await RawHTTP.exchange(port: h.port, RawHTTP.chatPost(body, key: h.key)) {
                $0.contains("data:")
            }
            let record = try await Self.record(h, model: model)
            #expect(record.status == "client_disconnected")
            // The usage never arrived: the prompt estimate, and the text read before the bound (the role event's ""
            // only: the next event comes 400 ms later, the bound ends the drain after 150).
            #expect(record.usage == TokenUsage(promptTokens: Int64((body.utf8.count + 2) / 3), completionTokens: 0))
            #expect(record.cost.micros == Self.estimate(body: body, textBytes: 0))
            #expect(try await h.eventually(3) { h.stubLog.abortedStreams.load(ordering: .relaxed) == 1 })
        }
    }

    @Test("The charge is never capped at the hold: n, a tools-heavy body and a long answer are billed in full")
    func neverCappedAtHold() async throws {
        let tune: @Sendable (inout WharfConfig) -> Void = { $0.defaultMaxOutputTokens = 16 }
        try await Self.withHarness(tune: tune) { h, counter in
            let form = Form(spaced: false, delimiter: "\n")
            // n: 4 with max_tokens 10 holds 40 output tokens; the upstream reports 4 × 100.
            let many = counter.model()
            h.stubLog.scripts.withLock {
                $0[many] = .init(
                    pieces: Self.events(
                        choices: 4, withUsage: true, form: form, usage: (prompt: 30, completion: 400, cached: 0)))
            }
            let manyBody = Self.body(model: many, extra: #","n":4,"max_tokens":10"#)
            _ = try await RawHTTP.exchange(port: h.port, RawHTTP.chatPost(manyBody, key: h.key))
            #expect(try await Self.record(h, model: many).cost.micros == 30 + 2 * 400)

            // A 40 KB tools array and no usage: the estimate covers every byte of the body.
            let tools = counter.model()
            h.stubLog.scripts.withLock {
                $0[tools] = .init(pieces: Self.events(choices: 1, withUsage: false, form: form))
            }
            let schema = String(repeating: #"{"type":"string","description":"a field"},"#, count: 1000)
            let toolsBody = Self.body(
                model: tools,
                extra: #","tools":[{"type":"function","function":{"name":"f","parameters":[\#(schema)null]}}]"#)
            _ = try await RawHTTP.exchange(port: h.port, RawHTTP.chatPost(toolsBody, key: h.key))
            #expect(
                try await Self.record(h, model: tools).cost.micros
                    == Self.estimate(body: toolsBody, textBytes: Self.textBytes(choices: 1, events: 5)))

            // No max_tokens (16 held by default) and an answer of 5,000 tokens.
            let long = counter.model()
            h.stubLog.scripts.withLock {
                $0[long] = .init(
                    pieces: Self.events(
                        choices: 1, withUsage: true, form: form, usage: (prompt: 12, completion: 5000, cached: 0)))
            }
            let longBody = Self.body(model: long)
            _ = try await RawHTTP.exchange(port: h.port, RawHTTP.chatPost(longBody, key: h.key))
            #expect(try await Self.record(h, model: long).cost.micros == 12 + 2 * 5000)
            // The admin sees each overage: the charge minus the hold (prompt estimate + 2 × the output allowance).
            func hold(_ body: String, output: Int64) -> Int64 { Int64((body.utf8.count + 2) / 3) + 2 * output }
            let expectedOverage =
                (30 + 2 * 400 - hold(manyBody, output: 4 * 10)) + (12 + 2 * 5000 - hold(longBody, output: 16))
            let admin = try await AdminAPITests.key(h, role: .admin, email: "ops@example.com")
            let billing = try await h.request("/admin/api/billing", method: .GET, key: admin)
            #expect(billing.status == 200)
            #expect(billing.json["overage_requests"] as? Int == 2)
            #expect(billing.json["overage_amount"] as? String == Money(micros: expectedOverage).description)
            #expect(try await h.store.verifyLedger().isEmpty)
        }
    }

    @Test("An answer that takes the balance below zero is charged in full; the account is then refused")
    func overdraftThenRefused() async throws {
        try await Self.withHarness(balance: Money(micros: 2_000)) { h, counter in
            let model = counter.model()
            let events = Self.events(
                choices: 1, withUsage: true, form: Form(spaced: false, delimiter: "\n"),
                usage: (prompt: 10, completion: 5_000, cached: 0))
            h.stubLog.scripts.withLock { $0[model] = .init(pieces: events) }
            let body = Self.body(model: model, extra: #","max_tokens":10"#)
            _ = try await RawHTTP.exchange(port: h.port, RawHTTP.chatPost(body, key: h.key))
            #expect(try await Self.record(h, model: model).cost.micros == 10_010)
            #expect(try await h.flushedBalance() == Money(micros: 2_000 - 10_010))
            let next = try await h.request("/v1/chat/completions", body: Self.body(model: counter.model()))
            #expect(next.status == 429)
            #expect(next.errorCode == "insufficient_quota")
            #expect(try await h.store.verifyLedger().isEmpty)
        }
    }

    @Test("A non-streamed answer without usage costs the estimate of its text, spaced JSON or not")
    func nonStreamedWithoutUsage() async throws {
        try await Self.withHarness { h, counter in
            for spaced in [false, true] {
                let model = counter.model()
                let c = spaced ? ": " : ":"
                let answer =
                    "{\"id\"\(c)\"x\",\"choices\"\(c)[{\"index\"\(c)0,\"message\"\(c){\"role\"\(c)\"assistant\","
                    + "\"content\"\(c)\"caf\\u00e9 au lait\"}}]}"
                h.stubLog.scripts.withLock {
                    $0[model] = .init(contentType: "application/json", pieces: [answer])
                }
                let body = #"{"model":"\#(model)","messages":[{"role":"user","content":"hi"}]}"#
                let reply = try await h.request("/v1/chat/completions", body: body)
                #expect(reply.status == 200)
                let record = try await Self.record(h, model: model)
                #expect(record.cost.micros == Self.estimate(body: body, textBytes: "café au lait".utf8.count))
            }
        }
    }
}
