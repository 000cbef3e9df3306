import Foundation
import WharfCore

/// How pages show money, times and dates, and how they read dates typed into forms. Times are UTC.
enum WebFormat {
    /// Money with at least 2 and at most 6 decimals: `12.50`, `0.000123`, `-3.00`.
    static func money(_ m: Money) -> String {
        var text = m.description
        guard let dot = text.firstIndex(of: ".") else { return text }
        while text.last == "0", text.distance(from: dot, to: text.endIndex) > 3 { text.removeLast() }
        return text
    }

    /// `2026-11-23 18:44` (UTC).
    static func time(_ millis: Int64) -> String {
        let c = calendar.dateComponents(
            [.year, .month, .day, .hour, .minute], from: Date(timeIntervalSince1970: Double(millis) / 1000))
        return String(
            format: "%04d-%02d-%02d %02d:%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0)
    }

    /// `2026-11-23` (UTC).
    static func date(_ millis: Int64) -> String { String(time(millis).prefix(10)) }

    /// `11-23`, for chart labels.
    static func shortDay(_ day: Int64) -> String { String(date(day * 86_400_000).dropFirst(5)) }

    /// Milliseconds at the start of a `YYYY-MM-DD` day (UTC); nil for anything else.
    static func parseDay(_ text: String) -> Int64? {
        let parts = text.split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]), (1...12).contains(m),
            (1...31).contains(d),
            let date = calendar.date(from: DateComponents(year: y, month: m, day: d)),
            calendar.component(.day, from: date) == d
        else { return nil }
        return Int64(date.timeIntervalSince1970 * 1000)
    }

    static let calendar: Calendar = {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC") ?? .current
        return c
    }()
}
