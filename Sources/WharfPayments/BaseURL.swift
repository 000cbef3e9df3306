/// Joining a configured base URL with an endpoint path.
enum BaseURL {
    /// `base` without trailing `/`, then `path` (which starts with `/`).
    static func join(_ base: String, _ path: String) -> String {
        var trimmed = Substring(base)
        while trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        return trimmed + path
    }
}
