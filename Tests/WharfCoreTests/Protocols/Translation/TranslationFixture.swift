import Foundation
import Testing

@testable import WharfCore

/// A golden case in `Fixtures/<name>/`: `input.json` (a body as a client or upstream sends it, formatted for
/// reading) and `expected.json` (the translated body, compact, compared byte for byte).
enum TranslationFixture {
    /// The fixture directory.
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Fixtures")

    /// The bytes of `Fixtures/<name>/<file>`.
    static func bytes(_ name: String, _ file: String) throws -> [UInt8] {
        let url = directory.appendingPathComponent(name).appendingPathComponent(file)
        return Array(try Data(contentsOf: url))
    }

    /// The input body of a case.
    static func input(_ name: String) throws -> [UInt8] { try bytes(name, "input.json") }

    /// Checks that `translate(input)` gives exactly `expected.json` (a trailing newline there is ignored). With
    /// `WHARF_WRITE_FIXTURES=1` the output is written as the expected file instead (review it before committing).
    static func check(
        _ name: String, sourceLocation: SourceLocation = #_sourceLocation,
        _ translate: ([UInt8]) throws -> [UInt8]
    ) throws {
        let output = try translate(try input(name))
        let url = directory.appendingPathComponent(name).appendingPathComponent("expected.json")
        if ProcessInfo.processInfo.environment["WHARF_WRITE_FIXTURES"] == "1" {
            try Data(output + [0x0A]).write(to: url)
            return
        }
        var expected = try bytes(name, "expected.json")
        while expected.last == 0x0A { expected.removeLast() }
        let got = String(decoding: output, as: UTF8.self)
        let want = String(decoding: expected, as: UTF8.self)
        #expect(got == want, "fixture \(name)", sourceLocation: sourceLocation)
    }
}
