import Foundation
import Hummingbird
import NIOCore
import Synchronization

/// A stand-in for an OpenAI-compatible provider, speaking its protocol byte for byte, with fault modes chosen by the
/// requested model name:
/// - `fail-500`, `fail-429`: an error status whose body echoes the prompt (as some providers do);
/// - `reject-400`: a 400 whose message echoes the prompt;
/// - `timeout`: waits longer than the gateway's read timeout before answering;
/// - `cut`: a stream that stops after two content chunks without `[DONE]`;
/// - `slow`: a stream with 300 ms between chunks;
/// - `malformed`: a 200 whose body is not JSON;
/// - `long-answer`: a JSON answer whose content is 20,000 bytes;
/// - anything else: a normal answer with usage 12 prompt / 5 completion tokens (2 cached).
struct StubUpstream {
    /// What the stub received.
    final class Log: Sendable {
        struct Entry: Sendable {
            var path: String
            var authorization: String?
            var body: String
        }
        let entries = Mutex<[Entry]>([])
        /// Answers scripted by a test, by the model name they answer.
        let scripts = Mutex<[String: Script]>([:])
        let abortedStreams = Atomic<Int>(0)
        let completedStreams = Atomic<Int>(0)
        var all: [Entry] { entries.withLock { $0 } }
    }

    /// An answer a test writes byte for byte: the pieces go out one by one, `pauseMillis` apart; with `cutAfter`,
    /// the connection drops after that many pieces.
    struct Script: Sendable {
        var status = 200
        var contentType = "text/event-stream"
        var pieces: [String]
        var pauseMillis = 0
        var cutAfter: Int?
    }

    /// Answers with `script`.
    static func respond(_ script: Script, log: Log) -> Response {
        let body = ResponseBody { writer in
            do {
                for (i, piece) in script.pieces.enumerated() {
                    if let cut = script.cutAfter, i == cut {
                        // Let what was written reach the wire before the connection drops.
                        try await Task.sleep(for: .milliseconds(30))
                        throw CancellationError()
                    }
                    if script.pauseMillis > 0 && i > 0 { try await Task.sleep(for: .milliseconds(script.pauseMillis)) }
                    try await writer.write(ByteBuffer(string: piece))
                }
                try await writer.finish(nil)
                log.completedStreams.add(1, ordering: .relaxed)
            } catch {
                log.abortedStreams.add(1, ordering: .relaxed)
                throw error
            }
        }
        return Response(
            status: .init(code: script.status), headers: [.contentType: script.contentType], body: body)
    }

    static let usageJSON =
        #"{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17,"prompt_tokens_details":{"cached_tokens":2}}"#

    static func chunk(_ model: String, _ delta: String, finish: String? = nil) -> String {
        let f = finish.map { "\"\($0)\"" } ?? "null"
        return
            "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"\(model)\",\"choices\":[{\"index\":0,\"delta\":\(delta),\"finish_reason\":\(f)}]}\n\n"
    }

    static func streamEvents(model: String, includeUsage: Bool) -> [String] {
        var events = [
            chunk(model, #"{"role":"assistant","content":""}"#), chunk(model, #"{"content":"Hello"}"#),
            chunk(model, #"{"content":" from"}"#), chunk(model, #"{"content":" stub"}"#),
            chunk(model, "{}", finish: "stop"),
        ]
        if includeUsage {
            events.append(
                "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"\(model)\",\"choices\":[],\"usage\":\(usageJSON)}\n\n"
            )
        }
        events.append("data: [DONE]\n\n")
        return events
    }

    static func router(log: Log) -> Router<BasicRequestContext> {
        let router = Router()
        router.post("v1/chat/completions") { request, context -> Response in
            let buffer = try await request.body.collect(upTo: 1 << 24)
            let text = String(buffer: buffer)
            log.entries.withLock {
                $0.append(
                    .init(path: "/v1/chat/completions", authorization: request.headers[.authorization], body: text))
            }
            let json = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
            let model = json["model"] as? String ?? ""
            let stream = json["stream"] as? Bool ?? false
            let includeUsage = ((json["stream_options"] as? [String: Any])?["include_usage"] as? Bool) ?? false
            let prompt = ((json["messages"] as? [[String: Any]])?.first?["content"] as? String) ?? ""
            if let script = log.scripts.withLock({ $0[model] }) { return respond(script, log: log) }
            func error(_ status: HTTPResponse.Status, _ type: String) -> Response {
                let body =
                    #"{"error":{"message":"Upstream failed while reading: \#(prompt) at http://10.9.8.7/internal","type":"\#(type)","code":"\#(type)_code"}}"#
                return Response(
                    status: status, headers: [.contentType: "application/json"],
                    body: .init(byteBuffer: ByteBuffer(string: body)))
            }
            switch model {
            case "fail-500": return error(.internalServerError, "server_error")
            case "fail-429": return error(.tooManyRequests, "rate_limit_error")
            case "reject-400": return error(.badRequest, "invalid_request_error")
            case "timeout":
                try await Task.sleep(for: .seconds(3))
            case "error-cut":
                // A 503 whose body breaks off: the connection drops while the error is being read.
                let body = ResponseBody { writer in
                    try await writer.write(ByteBuffer(string: #"{"error":{"message":"over"#))
                    try await Task.sleep(for: .milliseconds(50))
                    throw CancellationError()
                }
                return Response(
                    status: .serviceUnavailable, headers: [.contentType: "application/json"], body: body)
            case "malformed":
                return Response(
                    status: .ok, headers: [.contentType: "application/json"],
                    body: .init(byteBuffer: ByteBuffer(string: "<html>oops")))
            default: break
            }
            // "json-for-stream" ignores `stream: true`, as some OpenAI-compatible servers do.
            if stream && model != "json-for-stream" {
                var planned = streamEvents(model: model, includeUsage: includeUsage)
                if model == "big" {
                    // About 16 MB of content: more than the sockets between client and gateway can hold.
                    let piece = chunk(model, #"{"content":""# + String(repeating: "x", count: 4000) + #""}"#)
                    planned.insert(contentsOf: Array(repeating: piece, count: 4000), at: 1)
                }
                let events = planned
                let body = ResponseBody { writer in
                    do {
                        for (i, event) in events.enumerated() {
                            if model == "cut" && i == 3 {
                                // Let the events written so far reach the wire before the connection drops, so the
                                // test knows exactly what was delivered (a write returns once queued, not once sent).
                                try await Task.sleep(for: .milliseconds(100))
                                throw CancellationError()
                            }
                            if model == "slow" && i > 0 { try await Task.sleep(for: .milliseconds(300)) }
                            try await writer.write(ByteBuffer(string: event))
                        }
                        try await writer.finish(nil)
                        log.completedStreams.add(1, ordering: .relaxed)
                    } catch {
                        log.abortedStreams.add(1, ordering: .relaxed)
                        throw error
                    }
                }
                return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: body)
            }
            let content = model == "long-answer" ? String(repeating: "x", count: 20_000) : "Hello from stub"
            let body =
                #"{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"\#(model)","choices":[{"index":0,"message":{"role":"assistant","content":"\#(content)"},"finish_reason":"stop"}],"usage":\#(usageJSON)}"#
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        router.post("v1/responses") { request, context -> Response in
            let buffer = try await request.body.collect(upTo: 1 << 24)
            let text = String(buffer: buffer)
            log.entries.withLock {
                $0.append(.init(path: "/v1/responses", authorization: request.headers[.authorization], body: text))
            }
            let usage = #"{"input_tokens":20,"output_tokens":7,"input_tokens_details":{"cached_tokens":0}}"#
            if text.contains(#""stream":true"#) {
                let events = [
                    "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"resp_1\",\"status\":\"in_progress\",\"usage\":null}}\n\n",
                    "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"Hi\"}\n\n",
                    "event: response.output_text.done\ndata: {\"type\":\"response.output_text.done\",\"text\":\"Hi\"}\n\n",
                    "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"id\":\"resp_1\",\"status\":\"completed\",\"usage\":\(usage)}}\n\n",
                ]
                return Response(
                    status: .ok, headers: [.contentType: "text/event-stream"],
                    body: .init(byteBuffer: ByteBuffer(string: events.joined())))
            }
            let body =
                #"{"id":"resp_1","object":"response","status":"completed","output":[{"type":"message","content":[{"type":"output_text","text":"Hi"}]}],"usage":\#(usage)}"#
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        router.post("v1/embeddings") { request, context -> Response in
            let buffer = try await request.body.collect(upTo: 1 << 24)
            log.entries.withLock {
                $0.append(
                    .init(
                        path: "/v1/embeddings", authorization: request.headers[.authorization],
                        body: String(buffer: buffer)))
            }
            let body =
                #"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,0.2]}],"model":"e","usage":{"prompt_tokens":4,"total_tokens":4}}"#
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        return router
    }
}
