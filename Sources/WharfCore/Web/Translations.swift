/// The translation tables: one `[key: text]` dictionary per ``Language``, in `Translations+English.swift` and
/// `Translations+Chinese.swift`. Templates look strings up as `{{t.key}}`; code uses ``text(_:_:)``.
public enum Translations {
    /// The text of `key` in `language`, falling back to English and then to the key itself (a test keeps both
    /// tables complete, so the fallbacks never show in practice).
    public static func text(_ key: String, _ language: Language) -> String {
        language.strings[key] ?? english[key] ?? key
    }

    /// Every key of the English table.
    public static var keys: Set<String> { Set(english.keys) }
}
