import Crypto
import Foundation
import HummingbirdBcrypt
import NIOCore
import NIOPosix

/// Password hashes: bcrypt, whose input is only the first 72 bytes of the password. A password of 72 bytes or more is
/// pre-hashed (SHA-256, base64: 44 bytes) before bcrypt, so every byte of it counts; such hashes are stored with the
/// ``prehashMarker`` in front. Hashes made before pre-hashing existed (plain bcrypt) still verify as they always did.
public enum PasswordHashing {
    /// Put before a bcrypt hash of a pre-hashed password.
    static let prehashMarker = "$wharf-sha256$"
    static let bcryptLimit = 72

    /// The bcrypt input for `password`.
    static func prehashed(_ password: String) -> String {
        Data(SHA256.hash(data: Data(password.utf8))).base64EncodedString()
    }

    /// Hashes `password` (call off the event loops; see ``hashOffLoop(_:cost:)``).
    public static func hash(_ password: String, cost: UInt8) -> String {
        guard password.utf8.count >= bcryptLimit else { return Bcrypt.hash(password, cost: cost) }
        return prehashMarker + Bcrypt.hash(prehashed(password), cost: cost)
    }

    /// Whether `password` matches `hash` (call off the event loops).
    public static func verify(_ password: String, hash: String) -> Bool {
        if hash.hasPrefix(prehashMarker) {
            return Bcrypt.verify(prehashed(password), hash: String(hash.dropFirst(prehashMarker.count)))
        }
        return Bcrypt.verify(password, hash: hash)
    }

    /// The threads bcrypt runs on: a pool of its own (one thread per core), so password work never queues the
    /// database's blocking calls (SQLite) on NIO's shared pool, nor the other way round.
    static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: max(1, System.coreCount))
        pool.start()
        return pool
    }()

    /// Hashes on ``pool``: a cost-12 hash takes a quarter of a second, which must not stall an event loop.
    public static func hashOffLoop(_ password: String, cost: UInt8) async throws -> String {
        try await pool.runIfActive { hash(password, cost: cost) }
    }
}
