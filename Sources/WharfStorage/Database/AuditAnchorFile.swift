import Crypto
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The audit chain's head kept outside the database (promise P8): a file beside it, `<data_dir>/audit-anchor`,
/// holding the highest row this installation has written and its hash, signed with a key derived from the master
/// key. Deleting the newest rows leaves the table shorter than the anchor; rewriting a row changes the hash the
/// anchor names; both fail `wharf audit verify`. One line: `v1 <key id> <seq> <hash> <mac>`.
///
/// The file only moves forward. Writers in one process are serialised by a lock, and processes (the server and a
/// CLI command) by `flock` on `audit-anchor.lock`; each write is a whole new file renamed over the old one.
public final class AuditAnchorFile: Sendable {
    /// A checkpoint: the row with sequence number `seq` has hash `hash`.
    public struct Head: Sendable, Equatable {
        public var seq: Int64
        public var hash: String

        /// Creates a checkpoint.
        public init(seq: Int64, hash: String) {
            self.seq = seq
            self.hash = hash
        }
    }

    /// Why the anchor cannot be believed.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case unreadable(String)
        case forged

        public var description: String {
            switch self {
            case .unreadable(let why): "the audit anchor file cannot be read (\(why))"
            case .forged: "the audit anchor file's signature does not check out"
            }
        }
    }

    static let purpose = "wharf audit anchor v1"
    public let path: String
    let secrets: SecretBox
    let written: Mutex<Head?>

    /// An anchor at `path` signed with keys of `secrets`.
    public init(path: String, secrets: SecretBox) {
        self.path = path
        self.secrets = secrets
        self.written = Mutex(nil)
    }

    /// The anchor as stored; nil when there is no file yet.
    public func read() throws(Failure) -> Head? {
        guard let data = FileManager.default.contents(atPath: path) else {
            if FileManager.default.fileExists(atPath: path) { throw .unreadable("not readable") }
            return nil
        }
        return try Self.parse(String(decoding: data, as: UTF8.self), secrets: secrets)
    }

    /// Moves the anchor to `head` unless it already names a later row, or cannot be read (left for verification
    /// to report, never written over).
    public func advance(to head: Head) throws {
        try store(head, onlyForward: true)
    }

    /// Writes the anchor for `head` whatever it named before (`wharf audit anchor`, after a full check).
    public func replace(with head: Head) throws {
        try store(head, onlyForward: false)
    }

    func store(_ head: Head, onlyForward: Bool) throws {
        if onlyForward, let known = written.withLock({ $0 }), known.seq >= head.seq { return }
        let lockFD = open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lockFD >= 0 else { throw Failure.unreadable("cannot open \(path).lock: errno \(errno)") }
        defer { close(lockFD) }
        guard flock(lockFD, LOCK_EX) == 0 else { throw Failure.unreadable("cannot lock: errno \(errno)") }
        defer { _ = flock(lockFD, LOCK_UN) }
        if onlyForward, let current = try read(), current.seq >= head.seq {
            written.withLock { $0 = current }
            return
        }
        try Self.replaceFile(path, with: Self.line(head, secrets: secrets))
        written.withLock { $0 = head }
    }

    /// Where a detected divergence is recorded: `<anchor>.alarm`, one signed line naming the anchored row that was
    /// found changed or missing. It stays until the operator checks the chain and runs `wharf audit anchor`, so a
    /// chain that is repaired behind the server's back afterwards still fails verification.
    public var alarmPath: String { path + ".alarm" }

    /// The row an alarm names; nil when there is none. An alarm file that is not a signed alarm counts as one
    /// (row 0): someone wrote it who should not have.
    public func readAlarm() -> Int64? {
        guard let data = FileManager.default.contents(atPath: alarmPath) else {
            return FileManager.default.fileExists(atPath: alarmPath) ? 0 : nil
        }
        let parts = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            .split(separator: " ").map(String.init)
        guard parts.count == 4, parts[0] == "v1", let seq = Int64(parts[2]),
            let expected = Self.mac(Head(seq: seq, hash: "alarm"), keyID: parts[1], secrets: secrets),
            AuditChainHash.constantTimeEqual(Array(expected.utf8), Array(parts[3].utf8))
        else { return 0 }
        return seq
    }

    /// Records that the anchored row `seq` was found changed or missing (the first such finding is kept).
    public func raiseAlarm(at seq: Int64) throws {
        guard readAlarm() == nil else { return }
        let keyID = secrets.primaryKeyID
        let mac = Self.mac(Head(seq: seq, hash: "alarm"), keyID: keyID, secrets: secrets) ?? ""
        try Self.replaceFile(alarmPath, with: "v1 \(keyID) \(seq) \(mac)\n")
    }

    /// Clears the alarm (`wharf audit anchor`, after a full check).
    public func clearAlarm() {
        try? FileManager.default.removeItem(atPath: alarmPath)
    }

    static func replaceFile(_ path: String, with text: String) throws {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure.unreadable("cannot write \(temporary): errno \(errno)") }
        let bytes = Array(text.utf8)
        let wrote = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard wrote == bytes.count, synced, rename(temporary, path) == 0 else {
            throw Failure.unreadable("cannot replace \(path): errno \(errno)")
        }
    }

    static func line(_ head: Head, secrets: SecretBox) -> String {
        let keyID = secrets.primaryKeyID
        return "v1 \(keyID) \(head.seq) \(head.hash) \(mac(head, keyID: keyID, secrets: secrets) ?? "")\n"
    }

    static func mac(_ head: Head, keyID: String, secrets: SecretBox) -> String? {
        guard let key = secrets.derivedKey(purpose, keyID: keyID) else { return nil }
        let code = HMAC<SHA256>.authenticationCode(for: Data("\(head.seq)|\(head.hash)".utf8), using: key)
        return Data(code).hexString
    }

    static func parse(_ text: String, secrets: SecretBox) throws(Failure) -> Head {
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ").map(String.init)
        guard parts.count == 5, parts[0] == "v1", let seq = Int64(parts[2]), seq >= 0 else {
            throw .unreadable("not an anchor line")
        }
        let head = Head(seq: seq, hash: parts[3])
        guard let expected = mac(head, keyID: parts[1], secrets: secrets),
            AuditChainHash.constantTimeEqual(Array(expected.utf8), Array(parts[4].utf8))
        else { throw .forged }
        return head
    }
}
