@testable import WharfServer

/// The `{{t.key}}` lookups of every page template.
enum TemplateKeys {
    static func used() -> Set<String> {
        var keys = Set<String>()
        for text in Templates.all.values {
            var rest = Substring(text)
            while let start = rest.range(of: "{{t.") {
                rest = rest[start.upperBound...]
                guard let end = rest.range(of: "}}") else { break }
                keys.insert(String(rest[..<end.lowerBound]))
                rest = rest[end.upperBound...]
            }
        }
        return keys
    }
}
