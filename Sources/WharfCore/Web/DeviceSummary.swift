/// Reduces a `User-Agent` header to browser and operating system ("Chrome on Linux"), the only device data kept
/// (promise P1): no version numbers, no full header.
public enum DeviceSummary {
    /// The summary of `userAgent`.
    public static func of(_ userAgent: String?) -> String {
        guard let ua = userAgent, !ua.isEmpty else { return "Unknown device" }
        let browser: String =
            if ua.contains("Edg/") { "Edge" } else if ua.contains("OPR/") { "Opera" } else if ua.contains("Firefox/") {
                "Firefox"
            } else if ua.contains("Chrome/") || ua.contains("Chromium/") { "Chrome" } else if ua.contains("Safari/") {
                "Safari"
            } else if ua.hasPrefix("curl/") { "curl" } else if ua.contains("python") || ua.contains("Python") {
                "Python"
            } else { "Other browser" }
        let system: String =
            if ua.contains("Android") { "Android" } else if ua.contains("iPhone") || ua.contains("iPad") {
                "iOS"
            } else if ua.contains("Windows") { "Windows" } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
                "macOS"
            } else if ua.contains("CrOS") { "ChromeOS" } else if ua.contains("Linux") { "Linux" } else {
                "other system"
            }
        return "\(browser) on \(system)"
    }
}
