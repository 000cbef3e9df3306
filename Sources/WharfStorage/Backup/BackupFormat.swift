import Crypto
import Foundation

/// The encrypted backup file (`wharf backup`), as pure framing: no file or database access here.
///
/// A file is a plaintext header line, then sealed chunks:
///
/// ```
/// wharf-backup v1 key=<master key id> salt=<32 hex digits>\n
/// chunk*: final (1 byte, 0 or 1) ‖ length (4 bytes, big-endian, at most ``maxChunkBytes``) ‖ ciphertext ‖ tag (16)
/// ```
///
/// Each chunk is AES-256-GCM under a key derived (HKDF-SHA256) from the named master key and the file's random salt,
/// so no two files share a key and nonces never repeat. The nonce is the chunk's index (8 bytes) and final flag
/// (1 byte), padded to 12; the associated data is the header line followed by the same index and flag. A flipped
/// byte, a chunk moved, dropped, repeated or taken from another file, a flag changed, a truncated file or bytes after
/// the final chunk all fail to open. Only the last chunk is final; it may be empty.
public enum BackupFormat {
    /// The version this binary writes and reads.
    public static let version = 1
    /// Plaintext bytes per chunk the writer seals; the reader refuses larger chunks.
    public static let maxChunkBytes = 1 << 20
    /// The longest header line accepted, newline included.
    static let maxHeaderBytes = 128
    static let tagBytes = 16
    static let saltBytes = 16
    static let frameHeaderBytes = 5
    static let purpose = "wharf backup v1 chunks"

    /// What the header says.
    public struct Header: Sendable, Equatable {
        /// The id of the master key (``SecretBox/keyID(of:)``) whose derived key sealed the chunks.
        public var keyID: String
        /// The file's random salt.
        public var salt: [UInt8]

        /// Creates a header.
        public init(keyID: String, salt: [UInt8]) {
            self.keyID = keyID
            self.salt = salt
        }

        /// The header as it is written: one line.
        public var line: [UInt8] {
            Array("wharf-backup v\(BackupFormat.version) key=\(keyID) salt=\(Data(salt).hexString)\n".utf8)
        }

        /// Parses a header line (newline included).
        public static func parse(_ bytes: [UInt8]) throws(BackupError) -> Header {
            guard bytes.last == 0x0A, let text = String(validating: bytes.dropLast(), as: UTF8.self) else {
                throw .notABackup
            }
            let parts = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 4, parts[0] == "wharf-backup" else { throw .notABackup }
            guard parts[1] == "v\(BackupFormat.version)" else { throw .unsupportedVersion(parts[1]) }
            guard parts[2].hasPrefix("key="), parts[3].hasPrefix("salt=") else { throw .notABackup }
            let keyID = String(parts[2].dropFirst(4))
            guard keyID.count == 8, keyID.allSatisfy(\.isHexDigit),
                let salt = Self.hexBytes(String(parts[3].dropFirst(5))), salt.count == BackupFormat.saltBytes
            else { throw .notABackup }
            return Header(keyID: keyID, salt: salt)
        }

        static func hexBytes(_ text: String) -> [UInt8]? {
            guard text.count % 2 == 0 else { return nil }
            var out: [UInt8] = []
            var index = text.startIndex
            while index < text.endIndex {
                let next = text.index(index, offsetBy: 2)
                guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
                out.append(byte)
                index = next
            }
            return out
        }
    }

    /// The key that seals a file's chunks: derived from a master key and the file's salt.
    public static func chunkKey(master: SymmetricKey, salt: [UInt8]) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: master, salt: Data(salt), info: Data(purpose.utf8), outputByteCount: 32)
    }

    static func nonce(index: UInt64, final: Bool) -> [UInt8] {
        withUnsafeBytes(of: index.bigEndian) { Array($0) } + [final ? 1 : 0, 0, 0, 0]
    }

    static func associatedData(header: [UInt8], index: UInt64, final: Bool) -> [UInt8] {
        header + withUnsafeBytes(of: index.bigEndian) { Array($0) } + [final ? 1 : 0]
    }

    /// Seals chunk `index` of a file with header line `header`; returns the whole frame as it is written.
    public static func sealChunk(
        _ plaintext: [UInt8], index: UInt64, final: Bool, header: [UInt8], key: SymmetricKey
    ) throws -> [UInt8] {
        precondition(plaintext.count <= maxChunkBytes, "a backup chunk holds at most \(maxChunkBytes) bytes")
        let box = try AES.GCM.seal(
            plaintext, using: key, nonce: try AES.GCM.Nonce(data: nonce(index: index, final: final)),
            authenticating: associatedData(header: header, index: index, final: final))
        var frame: [UInt8] = [final ? 1 : 0]
        frame += withUnsafeBytes(of: UInt32(plaintext.count).bigEndian) { Array($0) }
        frame += box.ciphertext
        frame += box.tag
        return frame
    }

    /// The final flag and sealed length (ciphertext and tag) a frame's first five bytes announce.
    public static func frameHeader(_ bytes: [UInt8]) throws(BackupError) -> (final: Bool, sealedLength: Int) {
        guard bytes.count == frameHeaderBytes, bytes[0] <= 1 else { throw .tampered }
        let length = bytes[1...4].reduce(0) { $0 << 8 | Int($1) }
        guard length <= maxChunkBytes else { throw .tampered }
        return (bytes[0] == 1, length + tagBytes)
    }

    /// Opens chunk `index` (its ciphertext and tag, as ``frameHeader(_:)`` sized them).
    public static func openChunk(
        _ sealed: [UInt8], index: UInt64, final: Bool, header: [UInt8], key: SymmetricKey
    ) throws(BackupError) -> [UInt8] {
        guard sealed.count >= tagBytes else { throw .tampered }
        do {
            let box = try AES.GCM.SealedBox(
                nonce: try AES.GCM.Nonce(data: nonce(index: index, final: final)),
                ciphertext: sealed.dropLast(tagBytes), tag: sealed.suffix(tagBytes))
            return Array(
                try AES.GCM.open(
                    box, using: key, authenticating: associatedData(header: header, index: index, final: final)))
        } catch {
            throw .tampered
        }
    }
}
