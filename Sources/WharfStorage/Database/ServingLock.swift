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
        init(_ connection: PostgresConnection) { self.connection = connection }
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

    /// PostgreSQL: checks every `interval` that the lock's session is alive, and takes the lock again on a new one
    /// when it is not. Calls `onLost` (once) when another server holds the lock by then. Returns when the task is
    /// cancelled or the lock released. Nothing to watch on SQLite.
    public func watch(every interval: Duration = .seconds(5), onLost: @Sendable () async -> Void) async {
        var lastProbe = ContinuousClock.now
        while !Task.isCancelled {
            // A session the server ended (a killed backend, a restart) is seen closed within 100 ms and the lock
            // taken again at once; a session on a host that vanished is found by the probe every `interval`.
            try? await Task.sleep(for: .milliseconds(100))
            guard !Task.isCancelled else { return }
            let current = holder.withLock { $0 }
            guard case .postgres(let box, let configuration) = current else { return }
            let connection = box.connection
            guard connection.isClosed || ContinuousClock.now - lastProbe >= interval else { continue }
            lastProbe = ContinuousClock.now
            // The probe has a deadline of its own: a vanished host never answers.
            var alive = false
            if !connection.isClosed {
                alive =
                    (try? await CallDeadline.run(
                        millis: 3_000, on: connection.eventLoop,
                        abandon: { let _: EventLoopFuture<Void> = connection.close() },
                        { try await connection.sql(queryLogLevel: nil).raw("SELECT 1 AS one").first() })) != nil
            }
            if !alive { try? await connection.close() }
            guard !alive else { continue }
            do {
                let connection = try await Self.connectAndLock(configuration, location: location, logger: logger)
                let kept = holder.withLock { h -> Bool in
                    guard case .postgres = h else { return false }
                    h = .postgres(PostgresConnectionBox(connection), configuration)
                    return true
                }
                if kept {
                    logger.warning("the one-server lock's database session was cut; the lock is held again")
                } else {
                    try? await connection.close()
                }
            } catch .held {
                logger.critical(
                    "the one-server lock's database session was cut and another server now holds the lock: two servers are serving one database"
                )
                await onLost()
                return
            } catch {
                logger.error("the one-server lock's database session was cut; the database does not answer yet")
            }
        }
    }

    static func connectAndLock(
        _ configuration: PostgresConnection.Configuration, location: String, logger: Logger
    ) async throws(ServingLockError) -> PostgresConnection {
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
        let taken: Bool
        do {
            let row = try await connection.sql(queryLogLevel: nil).raw(
                "SELECT pg_try_advisory_lock(\(bind: advisoryKey)) AS taken"
            ).first()
            taken = try row?.decode(column: "taken", as: Bool.self) ?? false
        } catch {
            try? await connection.close()
            throw .unavailable("the advisory lock query failed")
        }
        guard taken else {
            try? await connection.close()
            throw .held(location)
        }
        // The server notices a vanished client within about 20 s instead of the system's two hours, so a crashed
        // host does not keep the lock from the next server that long.
        for setting in ["tcp_keepalives_idle = 5", "tcp_keepalives_interval = 5", "tcp_keepalives_count = 3"] {
            _ = try? await connection.sql(queryLogLevel: nil).raw("SET \(unsafeRaw: setting)").run()
        }
        return connection
    }
}

/// Why a server cannot take the serving lock.
public enum ServingLockError: Error, CustomStringConvertible {
    /// Another server holds it.
    case held(String)
    /// The lock could not be tried.
    case unavailable(String)

    public var description: String {
        switch self {
        case .held(let what): "another wharf server is already serving \(what); run one server per database"
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
            let connection = try await ServingLock.connectAndLock(
                box.configuration, location: location, logger: logger)
            return ServingLock(
                holder: .postgres(ServingLock.PostgresConnectionBox(connection), box.configuration),
                location: location, logger: logger)
        }
    }
}
