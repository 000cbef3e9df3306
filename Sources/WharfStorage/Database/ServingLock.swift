import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresKit
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Proof that this process is the one server using its database, held until ``release()``.
///
/// Balances are kept in each server's memory (see `BalanceBook`), so two servers on one database would each let an
/// account spend its whole balance. Until balances are shared, one node per database is enforced:
/// - PostgreSQL: a session-level advisory lock, taken on a connection of its own that stays open while the server
///   runs (the lock ends with that session, so a killed server never leaves it behind). The session can be cut
///   (a failover, a killed backend); ``watch(every:onLost:)`` then takes the lock again on a new session, and
///   reports when another server took it meanwhile.
/// - SQLite: an exclusive `flock` on a file beside the database (its real path, so symbolic links do not make two
///   locks); servers on one host. The CLI does not take the lock.
public final class ServingLock: Sendable {
    enum Holder: Sendable {
        case postgres(PostgresConnectionBox, PostgresConnection.Configuration)
        case file(Int32)
        case released
    }

    final class PostgresConnectionBox: @unchecked Sendable {
        let connection: PostgresConnection
        /// The session's backend process id (to tell its own stale lock from another server's).
        let pid: Int?
        init(_ connection: PostgresConnection, pid: Int?) {
            self.connection = connection
            self.pid = pid
        }
    }

    let holder: Mutex<Holder>
    let location: String
    let logger: Logger

    init(holder: Holder, location: String, logger: Logger) {
        self.holder = Mutex(holder)
        self.location = location
        self.logger = logger
    }

    /// The advisory lock key: the bytes of "wharf-sv" as a big-endian integer, so other applications sharing the
    /// database do not collide with it by accident.
    static let advisoryKey: Int64 = 0x7768_6172_662d_7376

    /// Lets the lock go.
    public func release() async {
        let old = holder.withLock { h -> Holder in
            defer { h = .released }
            return h
        }
        switch old {
        case .postgres(let box, _): try? await box.connection.close()
        case .file(let fd): Glibc.close(fd)
        case .released: break
        }
    }

    /// PostgreSQL: watches the lock's session and takes the lock again on a new session when it ends. A session the
    /// server ended (a killed backend, a restart) is seen closed within 100 ms; one on a host that vanished is found
    /// by a probe every `interval` (with a deadline of its own). While the old session still holds the lock on the
    /// server's side (it has not noticed yet), that session is ended and the lock tried again; only another
    /// server's session holding it counts as lost: then `onLost` runs (once) and this returns. Also returns when the
    /// task is cancelled or the lock released. Retries back off up to `interval` while the database does not
    /// answer, logging the first failure and every tenth. Nothing to watch on SQLite.
    public func watch(every interval: Duration = .seconds(5), onLost: @Sendable () async -> Void) async {
        var lastProbe = ContinuousClock.now
        var failures = 0
        while !Task.isCancelled {
            let pause: Duration = failures == 0 ? .milliseconds(100) : min(interval, .milliseconds(200 * failures))
            try? await Task.sleep(for: pause)
            guard !Task.isCancelled else { return }
            let current = holder.withLock { $0 }
            guard case .postgres(let box, let configuration) = current else { return }
            let connection = box.connection
            guard connection.isClosed || ContinuousClock.now - lastProbe >= interval else { continue }
            lastProbe = ContinuousClock.now
            var alive = false
            if !connection.isClosed {
                alive =
                    (try? await CallDeadline.run(
                        millis: Self.probeMillis, on: connection.eventLoop,
                        abandon: { let _: EventLoopFuture<Void> = connection.close() },
                        { try await connection.sql(queryLogLevel: nil).raw("SELECT 1 AS one").first() })) != nil
            }
            guard !alive else { continue }
            try? await connection.close()
            // Shutting down: the lock is being let go, not lost.
            guard !Task.isCancelled else { return }
            do {
                let session = try await Self.connectAndLock(configuration, location: location, logger: logger)
                let kept = holder.withLock { h -> Bool in
                    guard case .postgres = h else { return false }
                    h = .postgres(PostgresConnectionBox(session.connection, pid: session.pid), configuration)
                    return true
                }
                if kept {
                    logger.warning("the one-server lock's database session was cut; the lock is held again")
                } else {
                    try? await session.connection.close()
                }
                failures = 0
            } catch .heldBy(_, let pid) where pid == box.pid {
                // Our own old session, not yet ended on the server's side: end it, then try again.
                await Self.endSession(pid, configuration: configuration, logger: logger)
                failures += 1
            } catch .held, .heldBy {
                logger.critical(
                    "the one-server lock's database session was cut and another server now holds the lock: two servers are serving one database"
                )
                await onLost()
                return
            } catch {
                if failures % 10 == 0 {
                    logger.error(
                        "the one-server lock's database session was cut; the database does not answer yet",
                        metadata: ["attempts": "\(failures + 1)"])
                }
                failures += 1
            }
        }
    }

    /// How long a probe of the lock's session, or one attempt to take the lock, may take.
    static let probeMillis: Int64 = 5_000

    /// A session holding the lock: its connection and its backend's process id.
    struct Session: Sendable {
        let connection: PostgresConnection
        let pid: Int?
    }

    /// Connects and takes the lock, within ``probeMillis``; a connection opened after the deadline is closed at once
    /// (so an abandoned attempt never holds the lock).
    static func connectAndLock(
        _ configuration: PostgresConnection.Configuration, location: String, logger: Logger
    ) async throws(ServingLockError) -> Session {
        let abandoned = Mutex(false)
        do {
            return try await CallDeadline.run(
                millis: probeMillis, on: MultiThreadedEventLoopGroup.singleton.any(),
                abandon: { abandoned.withLock { $0 = true } },
                {
                    let session = try await connectAndLockUnbounded(configuration, location: location, logger: logger)
                    if abandoned.withLock({ $0 }) {
                        try? await session.connection.close()
                        throw CancellationError()
                    }
                    return session
                })
        } catch let error as ServingLockError {
            throw error
        } catch {
            throw .unavailable("the database does not answer")
        }
    }

    static func connectAndLockUnbounded(
        _ configuration: PostgresConnection.Configuration, location: String, logger: Logger
    ) async throws(ServingLockError) -> Session {
        var quiet = logger
        quiet.logLevel = .critical
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration, id: 0, logger: quiet
            ).get()
        } catch {
            throw .unavailable("the database does not answer")
        }
        let sql = connection.sql(queryLogLevel: nil)
        let taken: Bool
        do {
            let row = try await sql.raw("SELECT pg_try_advisory_lock(\(bind: advisoryKey)) AS taken").first()
            taken = try row?.decode(column: "taken", as: Bool.self) ?? false
        } catch {
            try? await connection.close()
            throw .unavailable("the advisory lock query failed")
        }
        guard taken else {
            // Who holds it: another server, or a session of this one the server has not ended yet.
            let holder = try? await sql.raw(
                """
                SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
                AND classid = \(bind: Int64(advisoryKey >> 32)) AND objid = \(bind: Int64(advisoryKey & 0xFFFF_FFFF))
                AND objsubid = 1 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                """
            ).first()?.decode(column: "pid", as: Int.self)
            try? await connection.close()
            if let holder { throw .heldBy(location, pid: holder) }
            throw .held(location)
        }
        // The server notices a vanished client within about 20 s instead of the system's two hours, so a crashed
        // host does not keep the lock from the next server that long.
        for setting in ["tcp_keepalives_idle = 5", "tcp_keepalives_interval = 5", "tcp_keepalives_count = 3"] {
            _ = try? await sql.raw("SET \(unsafeRaw: setting)").run()
        }
        let pid = try? await sql.raw("SELECT pg_backend_pid() AS pid").first()?.decode(column: "pid", as: Int.self)
        return Session(connection: connection, pid: pid)
    }

    /// Ends a session of this server that still holds the lock on the server's side.
    static func endSession(_ pid: Int?, configuration: PostgresConnection.Configuration, logger: Logger) async {
        guard let pid else { return }
        var muted = logger
        muted.logLevel = .critical
        let quiet = muted
        _ = try? await CallDeadline.run(
            millis: probeMillis, on: MultiThreadedEventLoopGroup.singleton.any(), abandon: {},
            {
                let connection = try await PostgresConnection.connect(
                    on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration, id: 0,
                    logger: quiet
                ).get()
                defer { Task { try? await connection.close() } }
                try await connection.sql(queryLogLevel: nil).raw(
                    "SELECT pg_terminate_backend(CAST(\(bind: pid) AS INTEGER))"
                ).run()
            })
    }
}

/// Why a server cannot take the serving lock.
public enum ServingLockError: Error, CustomStringConvertible {
    /// Another server holds it.
    case held(String)
    /// A session with this backend process id holds it.
    case heldBy(String, pid: Int)
    /// The lock could not be tried.
    case unavailable(String)

    public var description: String {
        switch self {
        case .held(let what), .heldBy(let what, _):
            "another wharf server is already serving \(what); run one server per database"
        case .unavailable(let why): "cannot take the one-server lock: \(why)"
        }
    }
}

extension WharfDatabase {
    /// Takes the one-server lock of this database, or throws ``ServingLockError/held(_:)`` at once when another
    /// server holds it (never waits).
    public func takeServingLock(logger: Logger? = nil) async throws(ServingLockError) -> ServingLock {
        let logger = logger ?? self.logger
        switch backend {
        case .sqlite:
            // The real path: two spellings of one file (a symbolic link, `./`) must meet on one lock.
            let real = URL(fileURLWithPath: location).resolvingSymlinksInPath().path
            let path = real + ".serve-lock"
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
            guard fd >= 0 else { throw .unavailable("cannot open \(path)") }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                Glibc.close(fd)
                throw .held(location)
            }
            return ServingLock(holder: .file(fd), location: location, logger: logger)
        case .postgres(let box):
            let session = try await ServingLock.connectAndLock(
                box.configuration, location: location, logger: logger)
            return ServingLock(
                holder: .postgres(
                    ServingLock.PostgresConnectionBox(session.connection, pid: session.pid), box.configuration),
                location: location, logger: logger)
        }
    }
}
