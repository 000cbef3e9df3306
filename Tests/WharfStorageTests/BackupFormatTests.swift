import Crypto
import Testing
import WharfStorage

/// The backup file's framing without files or databases: the header, sealed chunks bound to their place, and the
/// record stream decoded from pieces of any size.
@Suite("Backup format: header, sealed chunks, records")
struct BackupFormatTests {
    static let header = BackupFormat.Header(keyID: "0a1b2c3d", salt: Array(0..<16))
    static let key = BackupFormat.chunkKey(
        master: SymmetricKey(data: [UInt8](repeating: 7, count: 32)), salt: Array(0..<16))

    /// Frames chunks `plaintexts` the way the writer does (the last one final) and returns them.
    static func frames(_ plaintexts: [[UInt8]], header: [UInt8] = header.line, key: SymmetricKey = key) throws
        -> [[UInt8]]
    {
        try plaintexts.enumerated().map { i, p in
            try BackupFormat.sealChunk(
                p, index: UInt64(i), final: i == plaintexts.count - 1, header: header, key: key)
        }
    }

    /// Opens `frame` as chunk `index`.
    static func open(_ frame: [UInt8], index: UInt64, header: [UInt8] = header.line) throws -> [UInt8] {
        let (final, length) = try BackupFormat.frameHeader(Array(frame.prefix(5)))
        #expect(frame.count == 5 + length)
        return try BackupFormat.openChunk(
            Array(frame.dropFirst(5)), index: index, final: final, header: header, key: key)
    }

    @Test("The header is one readable line naming the version and the key, and parses back")
    func headerRoundTrip() throws {
        let line = Self.header.line
        #expect(
            String(decoding: line, as: UTF8.self)
                == "wharf-backup v1 key=0a1b2c3d salt=000102030405060708090a0b0c0d0e0f\n")
        #expect(try BackupFormat.Header.parse(line) == Self.header)
    }

    @Test("A file that is not a backup, or a later format, is refused by its header")
    func headerRefusals() {
        #expect(throws: BackupError.notABackup) { try BackupFormat.Header.parse(Array("SQLite format 3\n".utf8)) }
        #expect(throws: BackupError.unsupportedVersion("v2")) {
            try BackupFormat.Header.parse(Array("wharf-backup v2 key=0a1b2c3d salt=00\n".utf8))
        }
        #expect(throws: BackupError.notABackup) {
            try BackupFormat.Header.parse(Array("wharf-backup v1 key=xyz salt=00\n".utf8))
        }
    }

    @Test("Chunks open in their place and nowhere else")
    func chunksBoundToTheirPlace() throws {
        let frames = try Self.frames([Array("first".utf8), Array("second".utf8), Array("last".utf8)])
        #expect(try Self.open(frames[0], index: 0) == Array("first".utf8))
        #expect(try Self.open(frames[2], index: 2) == Array("last".utf8))
        // Swapped: the second chunk read first.
        #expect(throws: BackupError.tampered) { try Self.open(frames[1], index: 0) }
        // The final flag turned on for a middle chunk (as if the file ended there).
        var flagged = frames[1]
        flagged[0] = 1
        #expect(throws: BackupError.tampered) { try Self.open(flagged, index: 1) }
        // One flipped bit in the ciphertext.
        var flipped = frames[0]
        flipped[7] ^= 0x01
        #expect(throws: BackupError.tampered) { try Self.open(flipped, index: 0) }
        // The same chunk in a file with another header (another salt or key id).
        let other = BackupFormat.Header(keyID: "0a1b2c3d", salt: Array(repeating: 9, count: 16)).line
        #expect(throws: BackupError.tampered) { try Self.open(frames[0], index: 0, header: other) }
    }

    @Test("A frame announcing more than a chunk's bytes is refused before anything is read")
    func oversizedFrame() {
        #expect(throws: BackupError.tampered) { try BackupFormat.frameHeader([0, 0xFF, 0xFF, 0xFF, 0xFF]) }
        #expect(throws: BackupError.tampered) { try BackupFormat.frameHeader([2, 0, 0, 0, 1]) }
    }

    @Test("Records decode the same however the bytes are split")
    func recordsAcrossSplits() throws {
        let records: [BackupRecord] = [
            .begin(schemaVersion: 11, createdAt: 1_700_000_000_000),
            .table(
                name: "users",
                columns: [
                    BackupColumn(name: "id", kind: .text), BackupColumn(name: "n", kind: .integer),
                    BackupColumn(name: "b", kind: .blob),
                ]),
            .row([.text("usr_1"), .integer(-42), .blob([0, 1, 255])]),
            .row([.text("用户 ✓"), .null, .null]),
            .tableEnd(rows: 2),
            .end(tables: 1, rows: 2),
        ]
        var bytes: [UInt8] = []
        for r in records { BackupRecordEncoder.append(r, to: &bytes) }
        for piece in [1, 3, 7, bytes.count] {
            var decoder = BackupRecordDecoder()
            var out: [BackupRecord] = []
            var start = 0
            while start < bytes.count {
                decoder.feed(Array(bytes[start..<min(start + piece, bytes.count)]))
                start += piece
                while let r = try decoder.next() { out.append(r) }
            }
            #expect(out == records)
            #expect(decoder.pendingBytes == 0)
        }
    }

    @Test("A value claiming gigabytes is refused without waiting for them")
    func hugeValueRefused() {
        var decoder = BackupRecordDecoder()
        var bytes: [UInt8] = []
        BackupRecordEncoder.append(.table(name: "t", columns: [BackupColumn(name: "c", kind: .text)]), to: &bytes)
        bytes += [3, 2, 0xFF, 0xFF, 0xFF, 0xF0]  // a row whose text is 4 GiB long
        decoder.feed(bytes)
        #expect(throws: BackupError.self) {
            while try decoder.next() != nil {}
        }
    }
}
