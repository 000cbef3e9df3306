import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Random numbers from the operating system's CSPRNG, fetched 4 KiB at a time and handed out word by word.
///
/// `SystemRandomNumberGenerator` makes one getrandom(2) system call per 64-bit word on Linux; ids minted on the relay
/// path (one per usage record and ledger entry) paid that call every time. The words come from the same source
/// (`/dev/urandom`, or `arc4random_buf` on Darwin); if the device cannot be read, each word falls back to
/// `SystemRandomNumberGenerator`. Not for use across `fork()` (the buffer would be shared); Wharf does not fork.
public struct BatchedSystemRandom: RandomNumberGenerator, Sendable {
    /// A generator drawing on the process-wide buffer.
    public init() {}

    /// The next word.
    public mutating func next() -> UInt64 {
        Self.buffer.withLock { $0.next() }
    }

    private static let buffer = Mutex(Buffer())

    private struct Buffer: ~Copyable {
        static let size = 512
        var words = [UInt64](repeating: 0, count: Buffer.size)
        var used = Buffer.size

        mutating func next() -> UInt64 {
            if used == words.count {
                guard refill() else {
                    var system = SystemRandomNumberGenerator()
                    return system.next()
                }
                used = 0
            }
            defer { used += 1 }
            return words[used]
        }

        /// Fills the buffer from the system source; false when it could not be read whole.
        mutating func refill() -> Bool {
            words.withUnsafeMutableBytes { bytes -> Bool in
                #if canImport(Darwin)
                    arc4random_buf(bytes.baseAddress, bytes.count)
                    return true
                #else
                    let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
                    guard fd >= 0 else { return false }
                    defer { close(fd) }
                    var filled = 0
                    while filled < bytes.count {
                        let n = read(fd, bytes.baseAddress! + filled, bytes.count - filled)
                        if n < 0 && errno == EINTR { continue }
                        guard n > 0 else { return false }
                        filled += n
                    }
                    return true
                #endif
            }
        }
    }
}
