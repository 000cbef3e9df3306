import Foundation

/// A language the console, website and email are written in. Every user-facing string has an entry in
/// ``Translations`` for each case.
public enum Language: String, Sendable, CaseIterable, Codable {
    case english = "en"
    case simplifiedChinese = "zh-CN"

    /// The language for a tag such as `zh`, `zh-CN`, `zh-Hans`, `en-GB` (nil for languages Wharf does not speak).
    public init?(tag: String) {
        let lower = tag.trimmingCharacters(in: .whitespaces).lowercased()
        if lower == "en" || lower.hasPrefix("en-") {
            self = .english
        } else if lower == "zh" || lower == "zh-cn" || lower == "zh-hans" || lower.hasPrefix("zh-hans-")
            || lower == "zh-sg"
        {
            self = .simplifiedChinese
        } else {
            return nil
        }
    }

    /// The best language for an `Accept-Language` header (RFC 9110 quality values), English when none fits.
    public static func negotiate(acceptLanguage: String?) -> Language {
        guard let header = acceptLanguage else { return .english }
        var best: (Language, Double)?
        for item in header.split(separator: ",") {
            let parts = item.split(separator: ";")
            guard let tag = parts.first, let language = Language(tag: String(tag)) else { continue }
            var quality = 1.0
            for parameter in parts.dropFirst() {
                let pair = parameter.trimmingCharacters(in: .whitespaces)
                if pair.hasPrefix("q="), let q = Double(pair.dropFirst(2)) { quality = q }
            }
            if quality > 0, quality > (best?.1 ?? -1) { best = (language, quality) }
        }
        return best?.0 ?? .english
    }

    /// The table of this language's strings.
    public var strings: [String: String] {
        switch self {
        case .english: Translations.english
        case .simplifiedChinese: Translations.simplifiedChinese
        }
    }

    /// The language's own name, for the switcher.
    public var nativeName: String {
        switch self {
        case .english: "English"
        case .simplifiedChinese: "简体中文"
        }
    }
}
