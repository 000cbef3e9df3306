/// Writes ``BackupRecord``s as bytes: a tag byte, then big-endian integers and length-prefixed strings and blobs.
public enum BackupRecordEncoder {
    /// Appends `record` to `out`.
    public static func append(_ record: BackupRecord, to out: inout [UInt8]) {
        switch record {
        case .begin(let schemaVersion, let createdAt):
            out.append(BackupRecordDecoder.Tag.begin)
            int64(schemaVersion, &out)
            int64(createdAt, &out)
        case .table(let name, let columns):
            out.append(BackupRecordDecoder.Tag.table)
            string(name, &out)
            uint32(UInt32(columns.count), &out)
            for column in columns {
                string(column.name, &out)
                out.append(column.kind.rawValue)
            }
        case .row(let values):
            out.append(BackupRecordDecoder.Tag.row)
            for value in values { self.value(value, &out) }
        case .tableEnd(let rows):
            out.append(BackupRecordDecoder.Tag.tableEnd)
            int64(rows, &out)
        case .end(let tables, let rows):
            out.append(BackupRecordDecoder.Tag.end)
            int64(tables, &out)
            int64(rows, &out)
        }
    }

    static func value(_ value: BackupValue, _ out: inout [UInt8]) {
        switch value {
        case .null: out.append(0)
        case .integer(let i):
            out.append(1)
            int64(i, &out)
        case .text(let s):
            out.append(2)
            string(s, &out)
        case .blob(let b):
            out.append(3)
            uint32(UInt32(b.count), &out)
            out += b
        }
    }

    static func int64(_ v: Int64, _ out: inout [UInt8]) {
        withUnsafeBytes(of: v.bigEndian) { out += $0 }
    }

    static func uint32(_ v: UInt32, _ out: inout [UInt8]) {
        withUnsafeBytes(of: v.bigEndian) { out += $0 }
    }

    static func string(_ s: String, _ out: inout [UInt8]) {
        let bytes = Array(s.utf8)
        uint32(UInt32(bytes.count), &out)
        out += bytes
    }
}

/// Reads ``BackupRecord``s from bytes fed to it in pieces of any size (decrypted chunks), holding only what is not
/// yet a whole record. Lengths are checked before anything is taken, so a bad file cannot make it allocate much.
public struct BackupRecordDecoder: Sendable {
    enum Tag {
        static let begin: UInt8 = 1
        static let table: UInt8 = 2
        static let row: UInt8 = 3
        static let tableEnd: UInt8 = 4
        static let end: UInt8 = 5
    }

    /// The longest text or blob value accepted.
    public static let maxValueBytes = 64 << 20
    /// The longest table or column name accepted.
    static let maxNameBytes = 256
    /// The most columns a table may have.
    static let maxColumns = 1_024

    private var buffer: [UInt8] = []
    private var offset = 0
    /// Columns of the current table (rows carry one value each).
    private var columns: Int?

    /// A decoder expecting the first record.
    public init() {}

    /// Adds bytes to decode.
    public mutating func feed(_ bytes: [UInt8]) {
        if offset > 0 && offset >= buffer.count / 2 {
            buffer.removeFirst(offset)
            offset = 0
        }
        buffer += bytes
    }

    /// Bytes fed but not yet decoded.
    public var pendingBytes: Int { buffer.count - offset }

    /// The next whole record, or nil when more bytes are needed.
    public mutating func next() throws(BackupError) -> BackupRecord? {
        var cursor = Cursor(bytes: buffer, at: offset)
        guard let record = try decode(&cursor) else { return nil }
        offset = cursor.at
        return record
    }

    private mutating func decode(_ c: inout Cursor) throws(BackupError) -> BackupRecord? {
        guard let tag = c.byte() else { return nil }
        switch tag {
        case Tag.begin:
            guard let version = c.int64(), let at = c.int64() else { return nil }
            return .begin(schemaVersion: version, createdAt: at)
        case Tag.table:
            guard let name = try c.string(max: Self.maxNameBytes), let count = c.uint32() else { return nil }
            guard count <= Self.maxColumns else { throw .malformed("table \(name) has \(count) columns") }
            var columns: [BackupColumn] = []
            for _ in 0..<count {
                guard let column = try c.string(max: Self.maxNameBytes), let raw = c.byte() else { return nil }
                guard let kind = BackupColumnKind(rawValue: raw) else {
                    throw .malformed("column \(name).\(column) has unknown kind \(raw)")
                }
                columns.append(BackupColumn(name: column, kind: kind))
            }
            self.columns = columns.count
            return .table(name: name, columns: columns)
        case Tag.row:
            guard let count = columns else { throw .malformed("a row outside a table") }
            var values: [BackupValue] = []
            values.reserveCapacity(count)
            for _ in 0..<count {
                guard let value = try c.value() else { return nil }
                values.append(value)
            }
            return .row(values)
        case Tag.tableEnd:
            guard let rows = c.int64() else { return nil }
            columns = nil
            return .tableEnd(rows: rows)
        case Tag.end:
            guard let tables = c.int64(), let rows = c.int64() else { return nil }
            return .end(tables: tables, rows: rows)
        default:
            throw .malformed("unknown record \(tag)")
        }
    }

    /// Reads from a copy of the buffer (arrays are copied on write only, so this is cheap).
    struct Cursor {
        let bytes: [UInt8]
        var at: Int

        mutating func byte() -> UInt8? {
            guard at < bytes.count else { return nil }
            defer { at += 1 }
            return bytes[at]
        }

        mutating func take(_ n: Int) -> ArraySlice<UInt8>? {
            guard bytes.count - at >= n else { return nil }
            defer { at += n }
            return bytes[at..<at + n]
        }

        mutating func int64() -> Int64? {
            take(8).map { Int64(bitPattern: $0.reduce(0) { $0 << 8 | UInt64($1) }) }
        }

        mutating func uint32() -> UInt32? {
            take(4).map { $0.reduce(0) { $0 << 8 | UInt32($1) } }
        }

        mutating func bytes(max: Int) throws(BackupError) -> ArraySlice<UInt8>? {
            guard let n = uint32() else { return nil }
            guard n <= max else { throw .malformed("a value of \(n) bytes (at most \(max))") }
            return take(Int(n))
        }

        mutating func string(max: Int) throws(BackupError) -> String? {
            guard let raw = try bytes(max: max) else { return nil }
            guard let s = String(validating: raw, as: UTF8.self) else { throw .malformed("text that is not UTF-8") }
            return s
        }

        mutating func value() throws(BackupError) -> BackupValue? {
            guard let tag = byte() else { return nil }
            switch tag {
            case 0: return .null
            case 1: return int64().map(BackupValue.integer)
            case 2: return try string(max: BackupRecordDecoder.maxValueBytes).map(BackupValue.text)
            case 3: return try bytes(max: BackupRecordDecoder.maxValueBytes).map { .blob(Array($0)) }
            default: throw .malformed("unknown value type \(tag)")
            }
        }
    }
}
