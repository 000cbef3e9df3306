import HTTPTypes
import Hummingbird
import NIOCore
import WharfCore

/// `GET /v1/models`: the models the caller's key may use, in OpenAI's list shape.
///
/// The relayed endpoints (`/v1/chat/completions`, `/v1/completions`, `/v1/embeddings`, `/v1/responses`) are not
/// routes: ``RelayFrontHandler`` answers them in the connection's pipeline, with ``RelayExchange`` and
/// ``RelayEngine``. Request path there: key (from the in-memory snapshot) → body read once and inspected in place →
/// hold on the in-memory balance book → route (snapshot) → upstream with failover → response relayed (streams chunk
/// by chunk) → settle and queue the usage record for the batched writer. No database query on this path.
public struct RelayController: Sendable {
    let snapshots: SnapshotStore
    let auth: KeyAuthenticator

    /// Creates the controller.
    public init(snapshots: SnapshotStore, config: WharfConfig, clock: WharfClock) {
        self.snapshots = snapshots
        self.auth = KeyAuthenticator(config: config, clock: clock)
    }

    /// Adds the routes to `router`.
    public func addRoutes(to router: Router<WharfRequestContext>) {
        router.group("v1").get("models") { request, context in try listModels(request, context) }
    }

    func listModels(_ request: Request, _ context: WharfRequestContext) throws -> Response {
        let snapshot = snapshots.snapshot
        let key = try auth.authenticate(request, address: auth.clientAddress(request, context), snapshot)
        let models = snapshot.routes.keys
            .filter { key.policy.allows(model: $0) && snapshot.prices[$0] != nil }
            .sorted()
        var body = "{\"object\":\"list\",\"data\":["
        body += models.map {
            "{\"id\":\(JSONText.quotedString($0)),\"object\":\"model\",\"created\":0,\"owned_by\":\"wharf\"}"
        }.joined(separator: ",")
        body += "]}"
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
