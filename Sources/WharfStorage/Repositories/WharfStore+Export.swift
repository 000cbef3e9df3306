import Foundation
import SQLKit
import WharfCore

/// One stored value in an export: the schema holds only integers, text and NULL.
public enum ExportValue: Sendable, Hashable, Codable {
    case null
    case integer(Int64)
    case text(String)

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .integer(let v): try c.encode(v)
        case .text(let v): try c.encode(v)
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let v = try? c.decode(Int64.self) {
            self = .integer(v)
        } else {
            self = .text(try c.decode(String.self))
        }
    }
}

/// The rows of one table that are about a person, with what the data map says of them.
public struct ExportedTable: Sendable, Equatable, Codable {
    public var table: String
    public var category: String
    public var retention: String
    /// Column → why it is kept (the data map's purpose).
    public var purposes: [String: String]
    /// Columns left out → why.
    public var withheld: [String: String]
    public var rows: [[String: ExportValue]]
}

extension WharfStore {
    /// Everything stored about the account `userID` (promise P5, the right of access), table by table, built from
    /// the data map: every table with a ``DataMap/subjectLinks`` entry is read for the rows tied to the account, and
    /// every declared column is exported except those in ``DataMap/withheldFromExport``. Tables without such rows are
    /// left out.
    public func exportSubject(userID: String) async throws -> [ExportedTable] {
        var out: [ExportedTable] = []
        for table in DataMap.tables {
            guard let links = DataMap.subjectLinks[table.name], !links.isEmpty else { continue }
            let types = try await columnTypes(table: table.name)
            let columns = table.columns.filter { DataMap.withheldFromExport["\(table.name).\($0.name)"] == nil }
            var condition: SQLQueryString = "1 = 0"
            for link in links {
                switch link {
                case .column(let c):
                    condition = "\(condition) OR \(ident: c) = \(bind: userID)"
                case .parent(let c, let parent, let owner):
                    condition =
                        "\(condition) OR \(ident: c) IN (SELECT id FROM \(ident: parent) WHERE \(ident: owner) = \(bind: userID))"
                case .email(let c):
                    condition =
                        "\(condition) OR LOWER(\(ident: c)) = (SELECT email_normalized FROM users WHERE id = \(bind: userID) AND email_verified_at IS NOT NULL)"
                case .parentByEmail(let c, let parent, let email):
                    condition = """
                        \(condition) OR \(ident: c) IN (SELECT id FROM \(ident: parent) WHERE LOWER(\(ident: email)) = (
                            SELECT email_normalized FROM users WHERE id = \(bind: userID) AND email_verified_at IS NOT NULL))
                        """
                }
            }
            let query: SQLQueryString = "SELECT * FROM \(ident: table.name) WHERE \(condition)"
            let rows = try await database.withConnection(timeoutMillis: database.bulkTimeoutMillis) { db in
                try await db.raw(query).all().map { row in
                    var values: [String: ExportValue] = [:]
                    for column in columns {
                        if types[column.name] == .integer {
                            values[column.name] =
                                try row.decode(column: column.name, as: Int64?.self).map {
                                    .integer($0)
                                } ?? .null
                        } else {
                            values[column.name] =
                                try row.decode(column: column.name, as: String?.self).map {
                                    .text($0)
                                } ?? .null
                        }
                    }
                    return values
                }
            }
            guard !rows.isEmpty else { continue }
            let category = table.columns.first?.category.rawValue ?? ""
            out.append(
                ExportedTable(
                    table: table.name, category: category,
                    retention: table.columns.first?.retention.rawValue ?? "",
                    purposes: Dictionary(uniqueKeysWithValues: columns.map { ($0.name, $0.purpose) }),
                    withheld: Dictionary(
                        uniqueKeysWithValues: table.columns.compactMap { c in
                            DataMap.withheldFromExport["\(table.name).\(c.name)"].map { (c.name, $0) }
                        }),
                    rows: rows))
        }
        return out
    }

    /// The stored type of a column: the schema uses only integers and text.
    public enum ColumnType: Sendable { case integer, text }

    /// The live schema's column types of `table`.
    public func columnTypes(table: String) async throws -> [String: ColumnType] {
        let postgres = database.dialect == .postgres
        return try await database.withConnection { db in
            var out: [String: ColumnType] = [:]
            if postgres {
                for row in try await db.raw(
                    """
                    SELECT column_name, data_type FROM information_schema.columns
                    WHERE table_schema = current_schema() AND table_name = \(bind: table)
                    """
                ).all() {
                    let type = try row.string("data_type").lowercased()
                    out[try row.string("column_name")] =
                        type.contains("int") || type.contains("numeric") ? .integer : .text
                }
            } else {
                for row in try await db.raw("SELECT name, type FROM pragma_table_info(\(bind: table))").all() {
                    let type = try row.string("type").uppercased()
                    out[try row.string("name")] = type.contains("INT") ? .integer : .text
                }
            }
            return out
        }
    }
}

/// The one JSON document an export is delivered as (CLI and console download alike).
public struct SubjectExportDocument: Sendable, Codable, Equatable {
    /// `wharf-export/1`.
    public var format = "wharf-export/1"
    public var userID: String
    /// RFC 3339, UTC.
    public var exportedAt: String
    /// The data map categories present.
    public var categories: [String]
    /// Table name → its rows about the person.
    public var tables: [String: ExportedTable]

    enum CodingKeys: String, CodingKey {
        case format
        case userID = "user_id"
        case exportedAt = "exported_at"
        case categories, tables
    }

    /// Assembles the document.
    public init(userID: String, exportedAtMillis: Int64, tables: [ExportedTable]) {
        self.userID = userID
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        exportedAt = formatter.string(from: Date(timeIntervalSince1970: Double(exportedAtMillis) / 1000))
        categories = Array(Set(tables.map(\.category))).sorted()
        self.tables = Dictionary(uniqueKeysWithValues: tables.map { ($0.table, $0) })
    }

    /// Pretty-printed JSON with sorted keys.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
