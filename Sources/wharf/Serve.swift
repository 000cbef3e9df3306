import ArgumentParser
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization
import WharfCore
import WharfServer
import WharfStorage

/// `wharf serve` (the default): runs the server until SIGTERM or SIGINT, then shuts down gracefully.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server (the default command).")

    @OptionGroup var options: ConfigOptions
    @Option(help: "Address to listen on (default 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on (default 8080).") var port: String?
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel: String?
    @Option(help: "Event-loop threads (default: one per core).") var threads: String?

    func run() async throws {
        var flags: [String: String] = [:]
        if let host { flags["host"] = host }
        if let port { flags["port"] = port }
        if let logLevel { flags["log_level"] = logLevel }
        if let threads { flags["threads"] = threads }
        let config: WharfConfig
        do { config = try options.load(extraFlags: flags) } catch {
            printError(error.description)
            throw ExitCode(2)
        }
        LoggingSetup.bootstrapOnce(json: true, level: Logger.Level(rawValue: config.logLevel) ?? .info)
        let logger = Logger(label: "wharf")
        let runtime: WharfRuntime
        // One server per database (balances live in the server's memory): a second one stops here, before it
        // migrates anything.
        do { runtime = try await WharfRuntime.open(config: config, logger: logger, serving: true) } catch {
            printError(error.description)
            throw ExitCode(2)
        }
        do {
            if let token = try await SetupController.issueTokenIfNeeded(store: runtime.store) {
                logger.notice(
                    "no admin exists yet: create one with `wharf admin create`, or POST /setup with this one-time token",
                    metadata: ["setup_token": .string(token)])
            }
        } catch {
            printError("the server cannot start: \(error)")
            await runtime.close()
            throw ExitCode(2)
        }
        let built: (app: any ApplicationProtocol, services: WharfServices)
        do { built = try await buildApplication(runtime: runtime) } catch {
            printError("the server cannot start: \(error)")
            await runtime.close()
            throw ExitCode(2)
        }
        let (app, services) = built
        logger.info(
            "wharf listening",
            metadata: [
                "address": "\(config.host):\(config.port)", "database": .string(runtime.database.dialect.rawValue),
            ])
        // SIGTERM/SIGINT: stop accepting, let in-flight requests finish, then drain the usage writer; past
        // `shutdown_grace_ms` the remaining work is cancelled (the writer then keeps what it could not write on
        // disk).
        var groupConfig = ServiceGroupConfiguration(
            services: [.init(service: app)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        groupConfig.maximumGracefulShutdownDuration = .milliseconds(config.shutdownGraceMillis)
        // Past the grace period database calls end at once (PostgreSQL) or within SQLite's busy timeout (15 s):
        // the writer then keeps what it could not write on disk, within this budget.
        groupConfig.maximumCancellationDuration = .seconds(20)
        let group = ServiceGroup(configuration: groupConfig)
        // A lock lost to another server (its session cut, another server started meanwhile) stops this one.
        let lockLost = Mutex(false)
        let watchdog = Task {
            await runtime.servingLock?.watch {
                lockLost.withLock { $0 = true }
                await group.triggerGracefulShutdown()
            }
        }
        var failure: (any Error)?
        do { try await group.run() } catch { failure = error }
        watchdog.cancel()
        // Upstream connections still open (drains of clients that left) are closed: their requests are charged
        // their estimate, which the stopped writer keeps on disk; then the lock goes.
        await services.upstream.shutdown()
        await services.writer.awaitLateCharges(maxMillis: 3_000)
        await runtime.close()
        if let failure {
            printError("the server stopped: \(failure)")
            throw ExitCode(2)
        }
        if lockLost.withLock({ $0 }) {
            printError("the server stopped: another server took the one-server lock of its database")
            throw ExitCode(3)
        }
        logger.info("wharf stopped")
    }
}

/// `wharf migrate`: applies pending migrations.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply database migrations.")
    @OptionGroup var options: ConfigOptions

    func run() async throws {
        try await operatorTask(options) { runtime in
            print("migrated \(runtime.database.dialect.rawValue) database \(runtime.database.location)")
        }
    }
}
