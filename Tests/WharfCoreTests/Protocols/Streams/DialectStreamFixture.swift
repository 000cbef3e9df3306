import Foundation
import Testing

@testable import WharfCore

/// One golden stream case: `Fixtures/<name>/upstream.sse` (upstream bytes), `expected.sse` (exact client bytes) and
/// `case.json` (dialects, options and the metering expected).
struct DialectStreamFixture: Sendable, CustomTestStringConvertible {
    let name: String
    let from: Dialect
    let to: Dialect
    let includeUsage: Bool
    let estimatedInputTokens: Int64
    let upstream: [UInt8]
    let expected: [UInt8]
    let usage: TokenUsage?
    let textBytes: Int
    let sawEnd: Bool
    let sawError: Bool

    var testDescription: String { name }

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Fixtures")

    static let names: [String] =
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter {
            var isDirectory: ObjCBool = false
            let path = directory.appendingPathComponent($0).path
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
        }.sorted()

    static let all: [DialectStreamFixture] = names.compactMap { try? DialectStreamFixture(name: $0) }

    init(name: String) throws {
        let dir = Self.directory.appendingPathComponent(name)
        self.name = name
        upstream = [UInt8](try Data(contentsOf: dir.appendingPathComponent("upstream.sse")))
        expected = [UInt8](try Data(contentsOf: dir.appendingPathComponent("expected.sse")))
        let object = try JSONValue.parseObject([UInt8](try Data(contentsOf: dir.appendingPathComponent("case.json"))))
        guard let from = object["from"]?.string.flatMap(Dialect.init(rawValue:)),
            let to = object["to"]?.string.flatMap(Dialect.init(rawValue:)),
            let includeUsage = object["includeUsage"]?.bool,
            let estimate = object["estimatedInputTokens"]?.integer,
            let expect = object["expect"], let textBytes = expect["textBytes"]?.integer,
            let sawEnd = expect["sawEnd"]?.bool, let sawError = expect["sawError"]?.bool
        else { throw JSONValueError.invalid }
        self.from = from
        self.to = to
        self.includeUsage = includeUsage
        estimatedInputTokens = estimate
        if let u = expect["usage"], u.isObject {
            usage = TokenUsage(
                promptTokens: u["prompt"]?.integer ?? -1, completionTokens: u["completion"]?.integer ?? -1,
                cachedTokens: u["cached"]?.integer ?? -1, cacheWriteTokens: u["cacheWrite"]?.integer ?? -1,
                reasoningTokens: u["reasoning"]?.integer ?? -1)
        } else {
            usage = nil
        }
        self.textBytes = Int(textBytes)
        self.sawEnd = sawEnd
        self.sawError = sawError
    }

    /// A fresh translator for this case, with the ids and time every golden file was written with.
    func translator() -> StreamTranslator {
        StreamTranslator(
            from: from, to: to, id: to == .anthropicMessages ? "msg_wharf1" : "chatcmpl-wharf1", model: "public-model",
            created: 1_770_000_000, includeUsage: includeUsage, estimatedInputTokens: estimatedInputTokens)
    }

    /// Runs the upstream bytes through a fresh translator in the given pieces.
    func run(pieces: [ArraySlice<UInt8>]) -> (out: [UInt8], translator: StreamTranslator) {
        var translator = translator()
        var out: [UInt8] = []
        for piece in pieces {
            out += piece.withUnsafeBufferPointer { translator.feed($0) }
        }
        out += translator.finish()
        return (out, translator)
    }
}
