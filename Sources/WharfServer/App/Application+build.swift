import Crypto
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import WharfCore
import WharfStorage
import WharfUpstream

/// The running parts of a Wharf server, built once by ``buildApplication(runtime:)``.
public struct WharfServices: Sendable {
    public let snapshots: SnapshotStore
    public let book: BalanceBook
    public let writer: UsageWriter
    public let watcher: ConfigWatcher
    public let upstream: UpstreamClient
    /// Top-ups, callbacks, refunds.
    public let payments: PaymentService
}

/// Builds the HTTP application and its services for an opened runtime: loads the first snapshot and balances,
/// mounts the health, setup and `/v1` routes, and registers the usage writer and configuration watcher so that
/// graceful shutdown stops the HTTP server first and drains the writer last.
public func buildApplication(runtime: WharfRuntime, clock: WharfClock = .system) async throws -> (
    some ApplicationProtocol, WharfServices
) {
    let config = runtime.config
    let logger = runtime.logger
    let snapshots = SnapshotStore()
    let book = BalanceBook()
    let health = ChannelHealthBoard(
        failureThreshold: config.breakerFailures, cooldownMillis: config.breakerCooldownMillis)
    let upstream = UpstreamClient(
        settings: .init(
            connectTimeoutMillis: config.upstreamConnectTimeoutMillis,
            readTimeoutMillis: config.upstreamReadTimeoutMillis, maxAttempts: config.maxAttempts,
            maxConnectionsPerOrigin: config.upstreamMaxConnectionsPerOrigin, addressPolicy: config.upstreamAddresses),
        health: health, clock: clock)
    let writer = UsageWriter(
        store: runtime.store, book: book, flushMillis: config.usageFlushMillis, maxRows: config.usageFlushRows,
        limits: .init(maxAgeMillis: config.unwrittenChargesMaxAgeMillis, maxAmount: config.unwrittenChargesMaxAmount),
        // Requests in flight at shutdown get the grace period, less a margin for the last flush.
        shutdownWaitMillis: max(0, config.shutdownGraceMillis - 2_000),
        spillPath: config.dataDir + "/unwritten-usage.jsonl", clock: clock, logger: logger)
    let watcher = ConfigWatcher(
        store: runtime.store, snapshots: snapshots, writer: writer, health: health,
        intervalMillis: config.reloadIntervalMillis, logger: logger)
    try await watcher.reload()
    try await writer.loadBalances()
    await writer.replayKeptOnDisk()

    let router = Router(context: WharfRequestContext.self)
    router.get("healthz") { _, _ in "ok" }
    router.get("readyz") { _, _ -> Response in
        let ready = (try? await runtime.database.isMigrated()) == true
        // Charges that cannot be written make the node not ready, with the reason (no content, no amounts per user).
        let problem = ready ? writer.problem : "the database is not migrated or does not answer"
        return Response(
            status: problem == nil ? .ok : .serviceUnavailable,
            body: .init(byteBuffer: ByteBuffer(string: problem.map { "not ready: " + $0 } ?? "ready")))
    }
    SetupController(store: runtime.store).addRoutes(to: router)
    AdminAPIController(
        store: runtime.store, snapshots: snapshots, health: health, book: book, writer: writer, config: config,
        clock: clock
    )
    .addRoutes(to: router)
    let payments = PaymentService(
        store: runtime.store, config: config, http: PaymentHTTPClient(), clock: clock, logger: logger)
    PaymentCallbackController(payments: payments, trustedProxies: config.trustedProxies).addRoutes(to: router)
    let web = WebEnvironment(
        store: runtime.store, config: config, renderer: try PageRenderer(), logger: logger, clock: clock,
        health: health, upstream: upstream, payments: payments,
        sessions: WebSessionStore(
            store: runtime.store, idleMillis: Int64(config.sessionIdleMinutes) * 60_000,
            absoluteMillis: Int64(config.sessionAbsoluteHours) * 3_600_000),
        auditMonitor: AuditMonitor(store: runtime.store, clock: clock))
    router.get("assets/wharf.css") { _, _ -> Response in
        var headers = HTTPFields()
        headers[.contentType] = "text/css; charset=utf-8"
        headers[.cacheControl] = "public, max-age=3600"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: Stylesheet.css)))
    }
    let pages = router.group().add(middleware: WebSessionMiddleware(web: web))
    PublicPagesController(web: web).addRoutes(to: pages)
    AccountPagesController(web: web).addRoutes(to: pages)
    let console = pages.group("console", context: SignedInContext.self)
        .add(middleware: PolicyAcceptanceMiddleware(currentVersion: config.policyVersion))
    PolicyAcceptanceController(web: web).addRoutes(to: console)
    ConsolePagesController(web: web).addRoutes(to: console)
    AccountDataController(web: web).addRoutes(to: console)
    SupportPagesController(web: web).addRoutes(to: console)
    BillingPagesController(web: web).addRoutes(to: console)
    let admin = pages.group("admin", context: StaffContext.self)
    AdminPagesController(web: web).addRoutes(to: admin)
    AdminPaymentsController(web: web).addRoutes(to: admin)
    let engine = RelayEngine(
        snapshots: snapshots, book: book, pool: upstream.pool, health: health, writer: writer, config: config,
        clock: clock)
    RelayController(snapshots: snapshots, config: config, clock: clock).addRoutes(to: router)

    var background: [any Service] = [
        writer, watcher, PaymentReconciler(payments: payments, logger: logger),
    ]
    if config.retentionJobEnabled {
        background.append(RetentionJob(store: runtime.store, schedule: config.retention, clock: clock, logger: logger))
    }
    if let mail = try MailDispatcher.make(config: config, store: runtime.store, logger: logger) {
        background.append(mail)
    }
    let services = WharfServices(
        snapshots: snapshots, book: book, writer: writer, watcher: watcher, upstream: upstream, payments: payments)
    let app = Application(
        router: router,
        // Relayed `/v1` requests are answered in the connection's pipeline (see `RelayFrontHandler`), the rest by
        // the router.
        server: WharfHTTP1Channel.builder(engine: engine),
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: "wharf"),
        services: background,
        // The process-wide NIO group, sized at start (see `threads`), shared with the upstream HTTP client.
        eventLoopGroupProvider: .singleton,
        logger: logger)
    return (app, services)
}
