import Foundation
import SQLKit

/// A statement put together from SQL text, quoted identifiers and typed values (bound, or `NULL` in the text), for
/// the tables and columns a backup names at run time.
struct BackupStatement: SQLExpression {
    enum Part {
        case text(String)
        case identifier(String)
        case value(BackupValue)
    }

    private(set) var parts: [Part] = []

    mutating func text(_ s: String) { parts.append(.text(s)) }

    /// `"a", "b"`.
    mutating func identifiers(_ names: [String]) {
        for (i, name) in names.enumerated() {
            if i > 0 { parts.append(.text(", ")) }
            parts.append(.identifier(name))
        }
    }

    /// `$1, NULL, $2` (placeholders as the dialect writes them).
    mutating func values(_ values: [BackupValue]) {
        for (i, value) in values.enumerated() {
            if i > 0 { parts.append(.text(", ")) }
            parts.append(.value(value))
        }
    }

    func serialize(to serializer: inout SQLSerializer) {
        for part in parts {
            switch part {
            case .text(let s): serializer.write(s)
            case .identifier(let name): SQLIdentifier(name).serialize(to: &serializer)
            case .value(.null): serializer.write("NULL")
            case .value(.integer(let i)): serializer.write(bind: i)
            case .value(.text(let s)): serializer.write(bind: s)
            case .value(.blob(let b)): serializer.write(bind: Data(b))
            }
        }
    }
}

/// Runs a ``BackupStatement`` with SQLKit's fetch methods (`all()`, `run()`).
final class BackupQuery: SQLQueryFetcher {
    let query: any SQLExpression
    let database: any SQLDatabase

    init(_ statement: BackupStatement, on database: any SQLDatabase) {
        self.query = statement
        self.database = database
    }
}
