import Foundation

/// The list of erased accounts kept beside the database (`<data_dir>/erased-accounts`), so that restoring a backup
/// taken before an erasure erases that account again (promise P11). One line per erasure: the account's random id
/// and the time, nothing that names a person. Appends are `O_APPEND` writes followed by `fsync`.
public struct ErasureRegister: Sendable {
    public let path: String

    /// A register at `path`.
    public init(path: String) { self.path = path }

    /// Records the erasure of `userID` at `millis`.
    public func append(userID: String, atMillis millis: Int64) throws {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ErasureRegisterError("cannot open \(path): errno \(errno)") }
        defer { close(fd) }
        let line = Array("\(userID) \(millis)\n".utf8)
        let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == line.count, fsync(fd) == 0 else {
            throw ErasureRegisterError("cannot write \(path): errno \(errno)")
        }
    }

    /// The erased account ids, oldest first; none when the file does not exist. Lines that are not an account id
    /// are skipped.
    public func userIDs() throws -> [String] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ErasureRegisterError("cannot read \(path)")
        }
        var seen = Set<String>()
        var out: [String] = []
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            guard let id = line.split(separator: " ").first.map(String.init), id.hasPrefix("usr_"), id.count <= 64,
                id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }), seen.insert(id).inserted
            else { continue }
            out.append(id)
        }
        return out
    }
}

/// A register that cannot be read or written.
public struct ErasureRegisterError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
