import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresKit

#if canImport(Glibc)
    import Glibc
#endif

/// Proof that this process is the one server using its database, held until ``release()``.
///
/// Balances are kept in each server's memory (see `BalanceBook`), so two servers on one database would each let an
/// account spend its whole balance. Until balances are shared, one node per database is enforced:
/// - PostgreSQL: a session-level advisory lock, taken on a connection of its own that stays open while the server
///   runs (the lock ends with that session, so a killed server never leaves it behind);
/// - SQLite: an exclusive `flock` on a file beside the database (servers on one host; the CLI does not take it).
public final class ServingLock: Sendable {
    enum Holder: Sendable {
        case postgres(PostgresConnectionBox)
        case file(Int32)
    }

    final class PostgresConnectionBox: @unchecked Sendable {
        let connection: PostgresConnection
        init(_ connection: PostgresConnection) { self.connection = connection }
    }

    let holder: Holder

    init(holder: Holder) { self.holder = holder }

    /// The advisory lock key: the bytes of "wharf-sv" as a big-endian integer, so other applications sharing the
    /// database do not collide with it by accident.
    static let advisoryKey: Int64 = 0x7768_6172_662d_7376

    /// Lets the lock go.
    public func release() async {
        switch holder {
        case .postgres(let box):
            try? await box.connection.close()
        case .file(let fd):
            Glibc.close(fd)
        }
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
    public func takeServingLock() async throws(ServingLockError) -> ServingLock {
        switch backend {
        case .sqlite:
            let path = location + ".serve-lock"
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw .unavailable("cannot open \(path)") }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                Glibc.close(fd)
                throw .held(location)
            }
            return ServingLock(holder: .file(fd))
        case .postgres(let box):
            var quiet = logger
            quiet.logLevel = .critical
            let connection: PostgresConnection
            do {
                connection = try await PostgresConnection.connect(
                    on: MultiThreadedEventLoopGroup.singleton.any(), configuration: box.configuration, id: 0,
                    logger: quiet
                ).get()
            } catch {
                throw .unavailable("the database does not answer")
            }
            do {
                let rows = try await connection.sql(queryLogLevel: nil).raw(
                    "SELECT pg_try_advisory_lock(\(bind: ServingLock.advisoryKey)) AS taken"
                ).all()
                guard let row = rows.first, try row.decode(column: "taken", as: Bool.self) else {
                    try? await connection.close()
                    throw ServingLockError.held(location)
                }
            } catch let error as ServingLockError {
                throw error
            } catch {
                try? await connection.close()
                throw .unavailable("the advisory lock query failed")
            }
            return ServingLock(holder: .postgres(ServingLock.PostgresConnectionBox(connection)))
        }
    }
}
