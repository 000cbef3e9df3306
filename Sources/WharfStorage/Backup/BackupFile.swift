import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A file descriptor with whole-buffer writes and exact reads (blocking: backups run in the CLI).
final class BackupFile {
    let path: String
    private(set) var fd: Int32

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    /// Creates `path` for writing (mode 0600); fails when it exists.
    static func create(_ path: String) throws(BackupError) -> BackupFile {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .file("cannot create \(path): \(String(cString: strerror(errno)))") }
        return BackupFile(path: path, fd: fd)
    }

    /// Opens `path` for reading.
    static func openForReading(_ path: String) throws(BackupError) -> BackupFile {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .file("cannot open \(path): \(String(cString: strerror(errno)))") }
        return BackupFile(path: path, fd: fd)
    }

    func write(_ bytes: [UInt8]) throws(BackupError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw .file("cannot write \(path): \(String(cString: strerror(errno)))") }
            done += n
        }
    }

    /// Up to `count` bytes; fewer only at the end of the file.
    func read(_ count: Int) throws(BackupError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = out.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + done, count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw .file("cannot read \(path): \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            done += n
        }
        return done == count ? out : Array(out[0..<done])
    }

    /// Flushes to disk.
    func sync() throws(BackupError) {
        guard fsync(fd) == 0 else { throw .file("cannot sync \(path): \(String(cString: strerror(errno)))") }
    }

    func close() {
        guard fd >= 0 else { return }
        _ = Glibc.close(fd)
        fd = -1
    }

    deinit { close() }
}
