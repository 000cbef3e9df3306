import Foundation
import WharfCore
import WharfStorage

/// Usage records kept on disk when they could not be written to the database before the server stopped, written
/// at the next start (see ``UsageWriter``).
///
/// One JSON object per line, in the data directory, readable by the server's user only. It holds what a usage
/// record holds (ids, token counts, cost, the stored client address), never content. A record already in the
/// database (the process stopped after a commit whose answer it did not see) is skipped at replay by its id, so a
/// replay never charges twice.
struct UsageSpillFile: Sendable {
    /// The file's path.
    let path: String

    /// A usage record as a line of the file; the cost in micro-units.
    struct Line: Codable {
        var id: String
        var createdAt: Int64
        var userID: String
        var keyID: String
        var model: String
        var channelID: String?
        var endpoint: String
        var usage: TokenUsage
        var costMicros: Int64
        var latencyMillis: Int64
        var timeToFirstTokenMillis: Int64?
        var status: String
        var stream: Bool
        var clientIP: String?
        var region: String?

        init(_ r: UsageRecord) {
            id = r.id
            createdAt = r.createdAt
            userID = r.userID
            keyID = r.keyID
            model = r.model
            channelID = r.channelID
            endpoint = r.endpoint
            usage = r.usage
            costMicros = r.cost.micros
            latencyMillis = r.latencyMillis
            timeToFirstTokenMillis = r.timeToFirstTokenMillis
            status = r.status
            stream = r.stream
            clientIP = r.clientIP
            region = r.region
        }

        var record: UsageRecord {
            var record = UsageRecord(
                id: id, createdAt: createdAt, userID: userID, keyID: keyID, model: model, channelID: channelID,
                endpoint: endpoint, usage: usage, cost: Money(micros: costMicros), latencyMillis: latencyMillis,
                timeToFirstTokenMillis: timeToFirstTokenMillis, status: status, stream: stream, clientIP: clientIP)
            record.region = region
            return record
        }
    }

    /// What reading the file found.
    struct Contents {
        var records: [UsageRecord]
        /// Lines that could not be read (a line cut by a crash mid-write): counted, never guessed at.
        var unreadableLines: Int
    }

    /// The records in the file; empty when there is none.
    func read() throws -> Contents {
        guard FileManager.default.fileExists(atPath: path) else { return Contents(records: [], unreadableLines: 0) }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        var contents = Contents(records: [], unreadableLines: 0)
        let decoder = JSONDecoder()
        for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            if let decoded = try? decoder.decode(Line.self, from: Data(line)) {
                contents.records.append(decoded.record)
            } else {
                contents.unreadableLines += 1
            }
        }
        return contents
    }

    /// Replaces the file with `records` (removes it when there are none). Written to a new temporary file, synced,
    /// renamed over the old one and the directory synced, so a crash leaves the old file or the new one, never half
    /// of one.
    func replace(with records: [UsageRecord]) throws {
        guard !records.isEmpty else {
            try remove()
            return
        }
        let temporary = path + ".tmp-\(getpid())"
        unlink(temporary)
        try write(records, to: temporary, appending: false)
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw CocoaError(.fileWriteUnknown)
        }
        syncDirectory()
    }

    /// Adds `records` at the end of the file (a charge that arrived after the writer stopped). A line left without
    /// its end by an earlier failed write is ended first, so the new records are never glued onto it.
    func append(_ records: [UsageRecord]) throws {
        try write(records, to: path, appending: true)
    }

    /// Removes the file, if it exists.
    func remove() throws {
        if FileManager.default.fileExists(atPath: path) {
            try FileManager.default.removeItem(atPath: path)
            syncDirectory()
        }
    }

    /// Renames the file to `<path>.unreadable-<unix ms>` (a file never deleted because part of it could not be read);
    /// returns the new path.
    func moveAside() throws -> String {
        let aside = path + ".unreadable-\(Int64(Date().timeIntervalSince1970 * 1000))"
        guard rename(path, aside) == 0 else { throw CocoaError(.fileWriteUnknown) }
        syncDirectory()
        return aside
    }

    private func syncDirectory() {
        let directory = (path as NSString).deletingLastPathComponent
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    private func write(_ records: [UsageRecord], to file: String, appending: Bool) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var bytes = Data()
        for record in records {
            bytes.append(try encoder.encode(Line(record)))
            bytes.append(UInt8(ascii: "\n"))
        }
        // A new temporary file is created fresh (never another's, never through a link); the file appended to is
        // never followed through a link either.
        let flags = O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (appending ? O_APPEND : (O_TRUNC | O_EXCL))
        let fd = open(file, flags, 0o600)
        guard fd >= 0 else { throw CocoaError(.fileWriteNoPermission) }
        defer { close(fd) }
        if appending, endsWithoutNewline(fd) { bytes.insert(UInt8(ascii: "\n"), at: 0) }
        var written = 0
        try bytes.withUnsafeBytes { raw in
            while written < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw CocoaError(.fileWriteUnknown) }
                written += n
            }
        }
        guard fsync(fd) == 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    /// Whether the file open at `fd` is not empty and its last byte is not a line end.
    private func endsWithoutNewline(_ fd: Int32) -> Bool {
        let size = lseek(fd, 0, SEEK_END)
        guard size > 0 else { return false }
        var last: UInt8 = 0
        return pread(fd, &last, 1, size - 1) == 1 && last != UInt8(ascii: "\n")
    }
}
