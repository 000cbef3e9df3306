extension Optional where Wrapped == String {
    /// The string when present and not empty, else nil.
    var nonEmpty: String? {
        guard let text = self, !text.isEmpty else { return nil }
        return text
    }
}
