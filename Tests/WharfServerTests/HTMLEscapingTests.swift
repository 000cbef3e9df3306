import Foundation
import Mustache
import Testing
import WharfCore
import WharfTestSupport

@testable import WharfServer

/// Every value reaches a page through ``HTMLEscaping/escape(_:)``, whatever Unicode it holds (issue 11, finding 1).
@Suite("HTML escaping by scalar, in every template")
struct HTMLEscapingTests {
    /// Quotes, brackets and the ampersand, with what joins them into one character: Prepend characters before
    /// (U+0600, U+0605, U+06DD, U+070F, U+08E2, U+110BD), marks and joiners after (U+0301, U+200D, U+FE0F), and
    /// other multi-scalar characters (flags, Hangul jamo, CR LF).
    static let pieces: [String] = [
        "<", ">", "\"", "'", "&", "a", " ", "=", "\u{600}", "\u{605}", "\u{6DD}", "\u{70F}", "\u{8E2}", "\u{110BD}",
        "\u{301}", "\u{200D}", "\u{FE0F}", "\u{1F1FA}", "\u{1F468}", "\u{0E33}", "\u{1100}", "\u{1161}", "\r", "\n",
        "é", "字", "&amp;", "&#",
    ]
    static let specials: Set<Unicode.Scalar> = ["\"", "'", "<", ">"]

    static let entities: [(String, String)] = [
        ("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&amp;", "&"),
    ]

    /// Undoes the escaping byte by byte (String's own search works on characters, which is the bug under test);
    /// nil when an ampersand does not start one of the five entities.
    static func unescape(_ html: String) -> String? {
        var bytes = Array(html.utf8)[...]
        var out: [UInt8] = []
        while let byte = bytes.first {
            guard byte == UInt8(ascii: "&") else {
                out.append(byte)
                bytes = bytes.dropFirst()
                continue
            }
            guard let (entity, plain) = entities.first(where: { bytes.starts(with: $0.0.utf8) }) else { return nil }
            out.append(contentsOf: plain.utf8)
            bytes = bytes.dropFirst(entity.utf8.count)
        }
        return String(decoding: out, as: UTF8.self)
    }

    @Test("Random text with Prepend characters, marks, joiners and the five specials escapes to no markup, and back")
    func escapeProperty() {
        var rng = SplitMix64(seed: 11)
        for _ in 0..<5_000 {
            let text = (0..<Int(rng.next() % 14)).map { _ in Self.pieces[Int(rng.next() % UInt64(Self.pieces.count))] }
                .joined()
            let html = HTMLEscaping.escape(text)
            #expect(!html.unicodeScalars.contains { Self.specials.contains($0) }, "\(text.debugDescription)")
            // Every ampersand left starts one of the five entities, and nothing is lost: a mark joined to a quote
            // stays, only the quote becomes an entity.
            #expect(Self.unescape(html).map { Array($0.utf8) } == Array(text.utf8), "\(text.debugDescription)")
        }
    }

    /// A value whose every name resolves to itself: each `{{name}}` of a template prints the hostile text, and each
    /// section renders once with it (so the sections' insides are printed too).
    struct Hostile: MustacheParent, CustomStringConvertible {
        static let text = "\u{600}<i-evil a=\u{600}\"b\u{600}'>\u{600}&x\"\u{301}<x-mark>"
        var description: String { Self.text }
        func child(named name: String) -> Any? {
            PageRenderer.rawNames.contains(name) ? "<svg></svg>" : self
        }
    }

    @Test("Every template, rendered with hostile text in every value and section, prints no markup from it")
    func everyTemplate() throws {
        let renderer = try PageRenderer()
        #expect(!Templates.all.isEmpty)
        for (name, _) in Templates.all {
            let html = try #require(renderer.library.render(Hostile(), withTemplate: name), "\(name)")
            #expect(!html.contains("<i-evil"), "\(name)")
            #expect(!html.contains("<x-mark"), "\(name)")
            for joined in ["\u{600}<", "\u{600}\"", "\u{600}'", "\u{600}&x", "\"\u{301}"] {
                #expect(!html.contains(joined), "\(name) prints \(joined.debugDescription) raw")
            }
            #expect(
                html.contains("\u{600}&lt;i-evil a=\u{600}&quot;b\u{600}&#39;&gt;\u{600}&amp;x&quot;\u{301}"), "\(name)"
            )
        }
    }

    @Test("A template that prints a value unescaped, other than the server's own charts, stops the start")
    func rawValuesRefused() throws {
        #expect(throws: PageRenderer.UnescapedTemplateValue.self) {
            try PageRenderer.checkNoRawValues("<p>{{{name}}}</p>", template: "t")
        }
        #expect(throws: PageRenderer.UnescapedTemplateValue.self) {
            try PageRenderer.checkNoRawValues("<p>{{& name }}</p>", template: "t")
        }
        try PageRenderer.checkNoRawValues("<figure>{{{costChart}}}</figure><p>{{name}}</p>", template: "t")
    }

    /// The minimal case reported to the swift-mustache maintainers: its HTML escaper compares `Character`s, so a
    /// special joined to a Prepend character (before) or a combining mark (after) is printed raw. When this starts
    /// failing, the library has been fixed; Wharf does not depend on that either way.
    @Test("Upstream: swift-mustache 2.1.1's own HTML escaping lets joined specials through")
    func upstreamCase() throws {
        let template = try MustacheTemplate(string: "{{v}}")
        let prepend = "\u{600}<b>"
        let prependOut = "\u{600}<b&gt;"
        let mark = String(UnicodeScalar(0x22)) + "\u{301}"
        #expect(template.render(["v": prepend]) == prependOut)
        #expect(template.render(["v": mark]) == mark)
    }
}
