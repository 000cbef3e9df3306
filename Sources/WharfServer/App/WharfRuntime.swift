import Foundation
import Logging
import WharfCore
import WharfStorage

/// The opened storage every command works on: the database (migrated), the secret box and the store.
public struct WharfRuntime: Sendable {
    public let config: WharfConfig
    public let database: WharfDatabase
    public let store: WharfStore
    public let logger: Logger
    /// The one-server lock, when opened for serving (see ``WharfDatabase/takeServingLock()``).
    public let servingLock: ServingLock?

    /// Opens the configured database, applies migrations and loads the master key. Every failure is a
    /// ``ConfigError`` naming the setting at fault, so the CLI can print one line and exit 2.
    /// With `serving`, the one-server lock is taken before migrations run, so a second server stops before it
    /// touches the schema of a database another one serves.
    public static func open(
        config: WharfConfig, logger: Logger, clock: WharfClock = .system, serving: Bool = false
    ) async throws(ConfigError) -> WharfRuntime {
        do {
            try FileManager.default.createDirectory(atPath: config.dataDir, withIntermediateDirectories: true)
        } catch {
            throw .unusable("data_dir", "cannot create \(config.dataDir)")
        }
        guard FileManager.default.isWritableFile(atPath: config.dataDir) else {
            throw .unusable("data_dir", "\(config.dataDir) is not writable")
        }
        let keys: [[UInt8]]
        do {
            if let configured = config.masterKey {
                keys = try MasterKeyFile.parse(configured)
            } else {
                keys = try MasterKeyFile.loadOrCreate(dataDir: config.dataDir, logger: logger)
            }
        } catch {
            throw .unusable("master_key", "\(error)")
        }
        let secrets: SecretBox
        do { secrets = try SecretBox(keys: keys) } catch { throw .unusable("master_key", error.description) }
        let database: WharfDatabase
        if let url = config.databaseURL {
            do {
                database = try await WharfDatabase.openPostgres(
                    url: url, logger: logger, timeoutMillis: config.databaseTimeoutMillis)
            } catch {
                throw .unusable("database_url", "cannot connect to \(WharfDatabase.redacted(url))")
            }
        } else {
            do {
                database = try await WharfDatabase.openSQLite(path: config.sqlitePath, logger: logger)
            } catch {
                throw .unusable("data_dir", "cannot open the SQLite database \(config.sqlitePath)")
            }
        }
        var servingLock: ServingLock?
        if serving {
            do { servingLock = try await database.takeServingLock(logger: logger) } catch {
                await database.close()
                throw .unusable(config.databaseURL == nil ? "data_dir" : "database_url", error.description)
            }
        }
        do {
            try await database.migrate(nowMillis: clock.nowMillis())
        } catch {
            await servingLock?.release()
            await database.close()
            throw .unusable(config.databaseURL == nil ? "data_dir" : "database_url", "migrations failed: \(error)")
        }
        let anchor = AuditAnchorFile(path: config.dataDir + "/audit-anchor", secrets: secrets)
        let store = WharfStore(
            database: database, secrets: secrets, clock: clock, auditAnchor: anchor,
            erasureRegister: ErasureRegister(path: config.dataDir + "/erased-accounts"))
        try? await store.anchorEmptyAudit()
        if serving {
            // Erasures listed beside the database are applied again before serving: after a restore of an older
            // backup (or one that stopped part-way), an erased person is not served back.
            do {
                let again = try await store.reapplyErasures(store.erasureRegister?.userIDs() ?? [])
                if !again.isEmpty {
                    logger.warning("erasures applied again at start", metadata: ["accounts": "\(again.count)"])
                }
            } catch {
                logger.error("could not apply the erasure register", metadata: ["error": "\(error)"])
            }
        }
        if serving, (try? await store.auditNeedsAnchoring()) == true {
            logger.warning(
                "the audit chain has no anchor beside the database, or rows written before keying: check it and run `wharf audit anchor` once"
            )
        }
        return WharfRuntime(config: config, database: database, store: store, logger: logger, servingLock: servingLock)
    }

    /// Lets the one-server lock go (if held) and closes the database.
    public func close() async {
        await servingLock?.release()
        await database.close()
    }
}
