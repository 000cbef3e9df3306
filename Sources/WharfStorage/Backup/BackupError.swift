/// Why a backup cannot be written, read or restored; each says what to do about it.
public enum BackupError: Error, Equatable, CustomStringConvertible {
    /// The file does not start with a Wharf backup header.
    case notABackup
    /// The header names a format version this binary does not read.
    case unsupportedVersion(String)
    /// The header names a master key that is not in the configured ring.
    case unknownKey(String)
    /// A chunk does not open: the file was changed, reordered, or sealed under another key with the same id.
    case tampered
    /// The file ends before its final chunk.
    case truncated
    /// Bytes follow the final chunk.
    case trailingData
    /// The decrypted content is not a well-formed dump (a value or name too long, an unknown record).
    case malformed(String)
    /// The backup was taken by a newer Wharf (its schema version is higher than this binary knows).
    case newerSchema(backup: Int, known: Int)
    /// The target database already holds data: restoring is only into an empty one.
    case targetNotEmpty([String: Int64])
    /// A table or column cannot be backed up or restored.
    case schema(String)
    /// The backup file cannot be created, written or read.
    case file(String)

    public var description: String {
        switch self {
        case .notABackup: "not a Wharf backup file (no 'wharf-backup' header)"
        case .unsupportedVersion(let v):
            "the backup is format \(v); this wharf reads format v\(BackupFormat.version) only"
        case .unknownKey(let id):
            "the backup was sealed with master key \(id), which is not in the configured key ring (WHARF_MASTER_KEY or master.key)"
        case .tampered:
            "the backup file was modified or damaged (a chunk failed authentication); nothing was restored from it"
        case .truncated: "the backup file is truncated (it ends before its final chunk)"
        case .trailingData: "the backup file has data after its final chunk (it was modified)"
        case .malformed(let why): "the backup's content is malformed: \(why)"
        case .newerSchema(let backup, let known):
            "the backup has schema version \(backup) but this wharf knows only up to \(known): restore it with a newer wharf"
        case .targetNotEmpty(let counts):
            "the target database is not empty ("
                + counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value) rows" }.joined(separator: ", ")
                + "); restore only into a new data directory or an empty database"
        case .schema(let why): why
        case .file(let why): why
        }
    }
}
