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

    /// A new identifier `prefix_` + 20 random base-36 characters (about 103 bits), from two reads of the system
    /// CSPRNG.
    public static func make(_ prefix: String) -> String {
        var rng = SystemRandomNumberGenerator()
        var out = Array(prefix.utf8)
        out.reserveCapacity(out.count + 21)
        out.append(UInt8(ascii: "_"))
        for _ in 0..<2 {
            // 10 base-36 digits from one 64-bit draw (36^10 < 2^52; the slight bias is irrelevant for ids).
            var word = rng.next() as UInt64
            for _ in 0..<10 {
                out.append(alphabet[Int(word % 36)])
                word /= 36
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
