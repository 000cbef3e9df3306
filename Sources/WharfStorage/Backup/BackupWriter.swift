import Crypto
import Foundation

/// Writes a backup file: the header, then records sealed in chunks as they come. At most one chunk of plaintext (plus
/// the record being added) is held in memory, and plaintext never reaches the disk.
///
/// The file is written under a temporary name beside the target and renamed to it by ``finish()``, so a backup that
/// fails half-way leaves no file that looks complete.
final class BackupWriter {
    let target: String
    private let file: BackupFile
    private let header: [UInt8]
    private let key: SymmetricKey
    private let chunkBytes: Int
    private var pending: [UInt8] = []
    private var index: UInt64 = 0
    private var finished = false
    /// Bytes written so far.
    private(set) var bytesWritten = 0

    /// Starts a backup at `target` (which must not exist) sealed under `secrets`' primary master key.
    init(target: String, secrets: SecretBox, chunkBytes: Int = BackupFormat.maxChunkBytes) throws {
        guard !FileManager.default.fileExists(atPath: target) else {
            throw BackupError.file("\(target) already exists; choose a new file name")
        }
        guard let master = secrets.keys[secrets.primaryKeyID] else { throw SecretBoxError.noKey }
        var rng = SystemRandomNumberGenerator()
        let salt = (0..<BackupFormat.saltBytes).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let header = BackupFormat.Header(keyID: secrets.primaryKeyID, salt: salt).line
        self.target = target
        self.header = header
        self.key = BackupFormat.chunkKey(master: master, salt: salt)
        self.chunkBytes = min(max(1, chunkBytes), BackupFormat.maxChunkBytes)
        self.file = try BackupFile.create(target + ".partial")
        do { try write(header) } catch {
            abandon()
            throw error
        }
    }

    /// Adds a record; full chunks are sealed and written.
    func append(_ record: BackupRecord) throws {
        BackupRecordEncoder.append(record, to: &pending)
        guard pending.count >= chunkBytes else { return }
        var start = 0
        while pending.count - start >= chunkBytes {
            try seal(Array(pending[start..<start + chunkBytes]), final: false)
            start += chunkBytes
        }
        pending.removeFirst(start)
    }

    /// Seals what is left as the final chunk, syncs, and moves the file to its name.
    func finish() throws {
        try seal(pending, final: true)
        pending = []
        try file.sync()
        file.close()
        guard rename(file.path, target) == 0 else {
            throw BackupError.file("cannot rename \(file.path) to \(target): \(String(cString: strerror(errno)))")
        }
        finished = true
    }

    /// Removes the partial file (after a failure).
    func abandon() {
        guard !finished else { return }
        file.close()
        try? FileManager.default.removeItem(atPath: file.path)
    }

    private func seal(_ plaintext: [UInt8], final: Bool) throws {
        try write(BackupFormat.sealChunk(plaintext, index: index, final: final, header: header, key: key))
        index += 1
    }

    private func write(_ bytes: [UInt8]) throws {
        try file.write(bytes)
        bytesWritten += bytes.count
    }
}
