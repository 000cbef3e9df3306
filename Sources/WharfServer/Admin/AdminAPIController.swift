import Foundation
import Hummingbird
import NIOCore
import WharfCore
import WharfStorage
import WharfUpstream

/// The admin JSON API (`/admin/api/...`): channels with their live health, enabling and disabling them, and the
/// state of billing on this node (charges over their hold, charges not written).
///
/// Reachable only from the admin allowlist (the effective client address: the peer, or what a trusted proxy
/// forwarded), and only with an API key whose owner is an admin or root (promise P7). Not on the relay hot path:
/// these handlers may query the database.
public struct AdminAPIController: Sendable {
    let store: WharfStore
    let snapshots: SnapshotStore
    let health: ChannelHealthBoard
    let auth: KeyAuthenticator
    let config: WharfConfig
    let book: BalanceBook
    let writer: UsageWriter

    /// Creates the controller.
    public init(
        store: WharfStore, snapshots: SnapshotStore, health: ChannelHealthBoard, book: BalanceBook,
        writer: UsageWriter, config: WharfConfig, clock: WharfClock
    ) {
        self.store = store
        self.snapshots = snapshots
        self.health = health
        self.book = book
        self.writer = writer
        self.auth = KeyAuthenticator(config: config, clock: clock)
        self.config = config
    }

    /// Adds the routes to `router`.
    public func addRoutes(to router: Router<WharfRequestContext>) {
        let api = router.group("admin/api")
        api.get("channels") { request, context in try await listChannels(request, context) }
        api.post("channels/{name}/disable") { request, context in
            try await setStatus(.disabled, request, context)
        }
        api.post("channels/{name}/enable") { request, context in
            try await setStatus(.enabled, request, context)
        }
        api.get("billing") { request, context in try billing(request, context) }
    }

    /// Checks address, key and role, in that order; returns the admin's key.
    func authorize(_ request: Request, _ context: WharfRequestContext) throws -> RuntimeSnapshot.Key {
        let address = auth.clientAddress(request, context)
        guard let address, config.adminAllowlist.contains(where: { $0.contains(address) }) else {
            throw OpenAIError(
                .forbidden, "The admin API is not reachable from your network address.", type: "permission_error",
                code: "admin_address_not_allowed")
        }
        let key = try auth.authenticate(request, address: address, snapshots.snapshot)
        guard key.role >= .admin else {
            throw OpenAIError(
                .forbidden, "This key's owner is not an administrator.", type: "permission_error",
                code: "admin_role_required")
        }
        return key
    }

    /// One channel as the admin API shows it (never its upstream key).
    struct ChannelView: Encodable {
        var id: String
        var name: String
        var provider: String
        var status: String
        var priority: Int
        var weight: Int
        var region: String
        var dataPolicy: String
        var models: [String]
        var circuit: String
        var recentRequests: Int64?
        var recentFailures: Int64?
        var meanLatencyMs: Int64?
        var healthUpdatedAt: Int64?
    }

    func listChannels(_ request: Request, _ context: WharfRequestContext) async throws -> Response {
        _ = try authorize(request, context)
        let stored = try await store.channelHealth()
        let views = try await store.channels().map { c in
            let h = stored[c.id]
            return ChannelView(
                id: c.id, name: c.name, provider: c.provider.rawValue, status: c.status.rawValue,
                priority: c.priority, weight: c.weight, region: c.region, dataPolicy: c.dataPolicy.tags,
                models: c.models, circuit: health.state(c.id), recentRequests: h?.requests,
                recentFailures: h?.failures, meanLatencyMs: h?.latencyMillis, healthUpdatedAt: h?.updatedAt)
        }
        return try Self.json(["data": views])
    }

    func setStatus(_ status: ChannelStatus, _ request: Request, _ context: WharfRequestContext) async throws
        -> Response
    {
        let admin = try authorize(request, context)
        let name = context.parameters.get("name") ?? ""
        do {
            try await store.setChannelStatus(name, status)
        } catch StoreError.notFound {
            throw OpenAIError(
                .notFound, "No channel named '\(name)'.", type: "invalid_request_error", code: "not_found")
        }
        try await store.audit(
            actorID: admin.userID, action: "channel.\(status == .enabled ? "enable" : "disable")", target: name,
            detail: "via=api key=\(admin.id)")
        return try Self.json(["name": name, "status": status.rawValue])
    }

    /// Billing on this node since it started: requests charged more than their hold (the overage is charged, see the
    /// billing policy), and usage records waiting to be written or set aside because they cannot be.
    struct BillingView: Encodable {
        var overageRequests: Int64
        var overageAmount: String
        var queuedRows: Int
        var setAsideRows: Int
        var setAsideAmount: String
        var problem: String?
    }

    func billing(_ request: Request, _ context: WharfRequestContext) throws -> Response {
        _ = try authorize(request, context)
        let overages = book.overages
        let aside = writer.setAsideSummary
        return try Self.json(
            BillingView(
                overageRequests: overages.count, overageAmount: overages.amount.description,
                queuedRows: writer.backlog, setAsideRows: aside.rows, setAsideAmount: aside.amount.description,
                problem: writer.problem))
    }

    static func json(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(
            status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }
}
