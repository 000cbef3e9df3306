import Crypto
import Foundation

/// Reads a backup file record by record: checks the header names a key of the ring, then opens one chunk at a time
/// (at most one chunk and one partial record in memory). Every failure is a ``BackupError``: tampered, truncated,
/// trailing data, an unknown key.
final class BackupReader {
    /// The file's header.
    let header: BackupFormat.Header
    private let file: BackupFile
    private let headerLine: [UInt8]
    private let key: SymmetricKey
    private var decoder = BackupRecordDecoder()
    private var index: UInt64 = 0
    private var sawFinal = false

    /// Opens `path` and checks its header against `secrets`' key ring.
    init(path: String, secrets: SecretBox) throws(BackupError) {
        let file = try BackupFile.openForReading(path)
        // The header line, read a byte at a time up to its newline (it is short, and bounded).
        var line: [UInt8] = []
        while line.last != 0x0A {
            guard line.count < BackupFormat.maxHeaderBytes else { throw .notABackup }
            let byte = try file.read(1)
            guard let b = byte.first else { throw line.isEmpty ? .notABackup : .truncated }
            line.append(b)
        }
        let header = try BackupFormat.Header.parse(line)
        guard let master = secrets.keys[header.keyID] else { throw .unknownKey(header.keyID) }
        self.file = file
        self.header = header
        self.headerLine = line
        self.key = BackupFormat.chunkKey(master: master, salt: header.salt)
    }

    /// The next record; nil after the last one, once the final chunk was read and nothing follows it.
    func next() throws(BackupError) -> BackupRecord? {
        while true {
            if let record = try decoder.next() { return record }
            if sawFinal {
                guard decoder.pendingBytes == 0 else { throw .malformed("the last record is incomplete") }
                return nil
            }
            try readChunk()
        }
    }

    private func readChunk() throws(BackupError) {
        let frame = try file.read(BackupFormat.frameHeaderBytes)
        guard frame.count == BackupFormat.frameHeaderBytes else { throw .truncated }
        let (final, length) = try BackupFormat.frameHeader(frame)
        let sealed = try file.read(length)
        guard sealed.count == length else { throw .truncated }
        let plain = try BackupFormat.openChunk(sealed, index: index, final: final, header: headerLine, key: key)
        index += 1
        if final {
            sawFinal = true
            guard try file.read(1).isEmpty else { throw .trailingData }
        }
        decoder.feed(plain)
    }

    /// Closes the file.
    func close() { file.close() }
}
