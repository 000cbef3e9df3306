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

    /// A new identifier that sorts by creation time: `prefix_` + 9 base-36 digits of `nowMillis` + 12 random
    /// base-36 characters (about 62 bits from the system CSPRNG, through ``BatchedSystemRandom``). Rows written many
    /// per second (usage records, ledger entries) keyed by it land at the end of their primary-key index instead of
    /// on a random page, so a batch dirties a few pages rather than one per row.
    public static func timeOrdered(_ prefix: String, nowMillis: Int64) -> String {
        var rng = BatchedSystemRandom()
        var word = rng.next() as UInt64
        var time = UInt64(max(0, nowMillis))
        let head = prefix.utf8
        return String(unsafeUninitializedCapacity: head.count + 22) { out in
            var i = 0
            for byte in head {
                out[i] = byte
                i += 1
            }
            out[i] = UInt8(ascii: "_")
            i += 1
            for k in stride(from: 8, through: 0, by: -1) {
                out[i + k] = alphabet[Int(time % 36)]
                time /= 36
            }
            i += 9
            for _ in 0..<12 {
                out[i] = alphabet[Int(word % 36)]
                word /= 36
                i += 1
            }
            return i
        }
    }
}
