import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresKit
import SQLKit
import SQLiteKit
import Synchronization

/// The one database Wharf uses: an SQLite file (the default, WAL mode) or a PostgreSQL server.
///
/// All storage code is written once against `SQLDatabase`; the few dialect differences live in ``Dialect``.
/// SQLite work is serialised over one connection per process (SQLite has a single writer anyway; other processes,
/// such as the CLI next to a running server, wait on the busy timeout). PostgreSQL uses a connection pool.
public final class WharfDatabase: Sendable {
    /// The SQL flavour in use.
    public enum Dialect: String, Sendable {
        case sqlite
        case postgres
    }

    /// The SQL flavour in use.
    public let dialect: Dialect
    /// A human-readable location (file path or host/database), never with a password.
    public let location: String
    let backend: Backend
    let logger: Logger
    /// Statements sent to the database by this process (for the "no query on the hot path" check).
    public let statements = StatementCounter()
    /// PostgreSQL: a call (one `withConnection` body, so one transaction) still running after this long is abandoned
    /// with ``WharfDatabaseError/timedOut(millis:)`` and its connection closed (see ``CallDeadline``). A database
    /// that stops answering (a killed backend, a dropped network) then fails calls instead of hanging them. Reads of
    /// whole tables get six times as long; migrations are not limited. SQLite calls are bounded by its busy timeout.
    public let timeoutMillis: Int64

    enum Backend: Sendable {
        case sqlite(SQLiteConnection, SerialGate)
        case postgres(PostgresPool)
    }

    /// AsyncKit's pool guards its state with its own lock but is not marked `Sendable`.
    final class PostgresPool: @unchecked Sendable {
        let pool: EventLoopGroupConnectionPool<PostgresConnectionSource>
        /// How to open a connection outside the pool (the serving lock's).
        let configuration: PostgresConnection.Configuration
        init(
            _ pool: EventLoopGroupConnectionPool<PostgresConnectionSource>,
            configuration: PostgresConnection.Configuration
        ) {
            self.pool = pool
            self.configuration = configuration
        }
    }

    init(dialect: Dialect, location: String, backend: Backend, logger: Logger, timeoutMillis: Int64 = 10_000) {
        self.dialect = dialect
        self.location = location
        self.backend = backend
        self.logger = logger
        self.timeoutMillis = timeoutMillis
    }

    /// Opens an SQLite database file (created if missing) in WAL mode.
    public static func openSQLite(path: String, logger: Logger) async throws -> WharfDatabase {
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        let sql = connection.sql(queryLogLevel: nil)
        do {
            try await sql.raw("PRAGMA busy_timeout = 15000").run()
            try await sql.raw("PRAGMA journal_mode = WAL").run()
            try await sql.raw("PRAGMA synchronous = NORMAL").run()
            try await sql.raw("PRAGMA foreign_keys = ON").run()
            // Deleted and overwritten content is zeroed in the file, so erased personal data leaves the disk once the
            // WAL is checkpointed (``WharfStore/eraseAccount(userID:)``), not only the index of it.
            try await sql.raw("PRAGMA secure_delete = ON").run()
        } catch {
            try? await connection.close()
            throw error
        }
        return WharfDatabase(
            dialect: .sqlite, location: path, backend: .sqlite(connection, SerialGate()), logger: logger)
    }

    /// Connects to PostgreSQL at `url` (`postgres://user:pass@host:port/db?tlsmode=disable`) and checks that it
    /// answers.
    public static func openPostgres(
        url: String, logger: Logger, maxConnections: Int = 8, timeoutMillis: Int64 = 10_000
    ) async throws -> WharfDatabase {
        var configuration = try SQLPostgresConfiguration(url: url)
        configuration.coreConfiguration.options.connectTimeout = .milliseconds(timeoutMillis)
        let source = PostgresConnectionSource(sqlConfiguration: configuration)
        // The pool's own logs repeat every failed connect with driver details; Wharf reports failures itself.
        var poolLogger = logger
        poolLogger.logLevel = .critical
        let pool = EventLoopGroupConnectionPool(
            source: source, maxConnectionsPerEventLoop: max(1, maxConnections / 2),
            // Each call's own deadline (``CallDeadline``) is the limit that counts; the pool's wait limit only has
            // to be no shorter than the longest of them.
            requestTimeout: .milliseconds(timeoutMillis.multipliedReportingOverflow(by: 6).partialValue),
            pruneInterval: .seconds(60), logger: poolLogger, on: MultiThreadedEventLoopGroup.singleton)
        let database = WharfDatabase(
            dialect: .postgres, location: Self.redacted(url),
            backend: .postgres(PostgresPool(pool, configuration: configuration.coreConfiguration)), logger: logger,
            timeoutMillis: timeoutMillis)
        do {
            try await database.withConnection(timeoutMillis: database.bulkTimeoutMillis) { db in
                try await db.raw("SELECT 1").run()
            }
        } catch {
            await database.close()
            throw error
        }
        return database
    }

    /// Runs `body` with exclusive use of one connection, within ``timeoutMillis`` (PostgreSQL).
    public func withConnection<R: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> R)
        async throws -> R
    {
        try await withConnection(timeoutMillis: timeoutMillis, body)
    }

    /// Runs `body` with exclusive use of one connection; PostgreSQL: within `timeoutMillis` (nil: no limit), and
    /// given up at once when the calling task is cancelled (see ``CallDeadline``).
    func withConnection<R: Sendable>(
        timeoutMillis: Int64?, _ body: @escaping @Sendable (any SQLDatabase) async throws -> R
    ) async throws -> R {
        switch backend {
        case .sqlite(let connection, let gate):
            await gate.acquire()
            do {
                let result = try await body(
                    CountingSQLDatabase(
                        base: connection.sql(queryLogLevel: nil), counter: statements, sqlite: connection))
                await gate.release()
                return result
            } catch {
                await gate.release()
                throw error
            }
        case .postgres(let box):
            let pool = box.pool
            var quiet = logger
            quiet.logLevel = .critical
            let counter = statements
            guard let timeoutMillis else {
                let connection = try await pool.requestConnection(logger: quiet).get()
                defer { pool.releaseConnection(connection, logger: quiet) }
                return try await body(CountingSQLDatabase(base: connection.sql(queryLogLevel: nil), counter: counter))
            }
            // The wait for a connection is inside the deadline too, and the connection goes back to the pool only
            // once: when the call ends, or (closed) when it is abandoned.
            let lease = ConnectionLease(box: box, logger: quiet)
            // An abandoned connection is out of the pool until it has closed (its session is never shared).
            return try await CallDeadline.run(
                millis: timeoutMillis, on: MultiThreadedEventLoopGroup.singleton.any(),
                abandon: { lease.abandon() },
                {
                    let connection = try await lease.take(
                        lease.box.pool.requestConnection(logger: lease.logger).get())
                    defer { lease.giveBack() }
                    return try await body(
                        CountingSQLDatabase(base: connection.sql(queryLogLevel: nil), counter: counter))
                })
        }
    }

    /// One pooled connection used by a call under a deadline: given back to the pool exactly once, closed first
    /// when the call was abandoned (so its session is never reused half-way through a transaction).
    final class ConnectionLease: Sendable {
        struct State {
            var connection: PostgresConnection?
            var abandoned = false
            var returned = false
        }
        let state = Mutex(State())
        let box: PostgresPool
        let logger: Logger

        init(box: PostgresPool, logger: Logger) {
            self.box = box
            self.logger = logger
        }

        /// Keeps `connection`; when the call was abandoned meanwhile, closes and returns it and throws.
        func take(_ connection: PostgresConnection) throws -> PostgresConnection {
            let abandoned = state.withLock { s -> Bool in
                s.connection = connection
                if s.abandoned { s.returned = true }
                return s.abandoned
            }
            if abandoned {
                // Abandoned while waiting: nothing ran on it, so it goes back as it is.
                box.pool.releaseConnection(connection, logger: logger)
                throw CancellationError()
            }
            return connection
        }

        /// The call ended: the connection goes back (once).
        func giveBack() {
            guard let connection = claim() else { return }
            box.pool.releaseConnection(connection, logger: logger)
        }

        /// The call is abandoned: its connection (if it has one yet) is closed, then given back (once).
        func abandon() {
            state.withLock { $0.abandoned = true }
            guard let connection = claim() else { return }
            let closed: EventLoopFuture<Void> = connection.close()
            let box = box
            let logger = logger
            closed.whenComplete { _ in box.pool.releaseConnection(connection, logger: logger) }
        }

        private func claim() -> PostgresConnection? {
            state.withLock { s -> PostgresConnection? in
                guard !s.returned, let c = s.connection else { return nil }
                s.returned = true
                return c
            }
        }
    }

    /// Reads of whole tables (balances, key spends, the ledger check) get this much longer than one call.
    var bulkTimeoutMillis: Int64 { timeoutMillis.multipliedReportingOverflow(by: 6).partialValue }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    ///
    /// On SQLite the transaction takes the write lock at once (`BEGIN IMMEDIATE`), so two writers never deadlock
    /// on a lock upgrade.
    public func transaction<R: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> R)
        async throws -> R
    {
        try await transaction(timeoutMillis: timeoutMillis, body)
    }

    /// A transaction within `timeoutMillis` (nil: no limit; see ``withConnection(timeoutMillis:_:)``).
    func transaction<R: Sendable>(
        timeoutMillis: Int64?, _ body: @escaping @Sendable (any SQLDatabase) async throws -> R
    ) async throws -> R {
        let begin = dialect == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN"
        return try await withConnection(timeoutMillis: timeoutMillis) { db in
            try await db.raw(SQLQueryString(begin)).run()
            do {
                let result = try await body(db)
                try await db.raw("COMMIT").run()
                return result
            } catch {
                try? await db.raw("ROLLBACK").run()
                throw error
            }
        }
    }

    /// Closes every connection.
    public func close() async {
        switch backend {
        case .sqlite(let connection, let gate):
            await gate.acquire()
            try? await connection.close()
            await gate.release()
        case .postgres(let box):
            try? await box.pool.shutdownAsync()
        }
    }

    /// A database URL with its password removed, for messages and logs.
    public static func redacted(_ url: String) -> String {
        guard var parts = URLComponents(string: url) else { return "postgres://…" }
        if parts.password != nil { parts.password = "***" }
        parts.query = nil
        return parts.string ?? "postgres://…"
    }
}

/// A database failure of Wharf's own.
public enum WharfDatabaseError: Error, CustomStringConvertible {
    /// A call did not finish in time; its connection was closed.
    case timedOut(millis: Int64)

    public var description: String {
        switch self {
        case .timedOut(let millis): "the database did not answer within \(millis) ms"
        }
    }
}

/// Counts statements sent by this process.
public final class StatementCounter: Sendable {
    let value = Atomic<Int>(0)
    /// The number so far.
    public var count: Int { value.load(ordering: .relaxed) }
    func increment() { value.add(1, ordering: .relaxed) }
}

/// Serialises async work without blocking a thread (FIFO): the SQLite connection, the usage writer's flushes.
public actor SerialGate {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// Creates an open gate.
    public init() {}

    /// Waits for the gate, then holds it.
    public func acquire() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    /// Lets the next waiter through.
    public func release() {
        if waiters.isEmpty {
            busy = false
        } else {
            waiters.removeFirst().resume()
        }
    }
}
