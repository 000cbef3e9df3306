import Logging
import NIOCore
import SQLKit
import SQLiteKit

/// An `SQLDatabase` that forwards everything to another and counts the statements it executes.
struct CountingSQLDatabase: SQLDatabase {
    let base: any SQLDatabase
    let counter: StatementCounter
    /// The SQLite connection under `base`, for callers that bind driver values directly (``BatchInsert``).
    var sqlite: SQLiteConnection? = nil

    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }
    var queryLogLevel: Logger.Level? { base.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void)
        -> EventLoopFuture<Void>
    {
        counter.increment()
        return base.execute(sql: query, onRow)
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        counter.increment()
        try await base.execute(sql: query, onRow)
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await closure(self)
    }
}
