import Foundation

/// Wall-clock and monotonic time, injected so that logic depending on time is testable.
public struct WharfClock: Sendable {
    /// Unix time in milliseconds.
    public var nowMillis: @Sendable () -> Int64
    /// A monotonic millisecond counter (for durations and breakers).
    public var monotonicMillis: @Sendable () -> Int64

    /// Creates a clock from its two readings.
    public init(nowMillis: @escaping @Sendable () -> Int64, monotonicMillis: @escaping @Sendable () -> Int64) {
        self.nowMillis = nowMillis
        self.monotonicMillis = monotonicMillis
    }

    /// The system clock.
    public static let system = WharfClock(
        nowMillis: { Int64(Date().timeIntervalSince1970 * 1000) },
        monotonicMillis: { Int64(DispatchTime.now().uptimeNanoseconds / 1_000_000) }
    )
}

/// Identifiers: random, URL-safe, with a type prefix (`usr_`, `key_`, `chn_`, …).
public enum WharfID {
    static let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8)

    /// A new identifier `prefix_` + 20 random base-36 characters (about 103 bits).
    public static func make(_ prefix: String) -> String {
        var rng = SystemRandomNumberGenerator()
        var out = Array(prefix.utf8) + [UInt8(ascii: "_")]
        for _ in 0..<20 { out.append(alphabet[Int.random(in: 0..<alphabet.count, using: &rng)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
