import HTTPTypes
import Hummingbird
import NIOCore
import WharfCore

/// `GET /v1/models`: the models the caller's key may use, in OpenAI's list shape (Anthropic's when the request
/// carries `anthropic-version`).
///
/// The relayed endpoints (`/v1/chat/completions`, `/v1/completions`, `/v1/embeddings`, `/v1/responses`,
/// `/v1/messages`, `/v1/messages/count_tokens`) are not
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
        // Anthropic clients (Claude Code's model discovery) send `anthropic-version`: they get Anthropic's list shape
        // and error shape.
        let anthropic = request.headers[Self.anthropicVersion] != nil
        let snapshot = snapshots.snapshot
        let key: RuntimeSnapshot.Key
        do {
            key = try auth.authenticate(request, address: auth.clientAddress(request, context), snapshot)
        } catch {
            guard anthropic else { throw error }
            return Self.json(error.body(in: .anthropicMessages), status: error.status)
        }
        // Only models some channel may serve this key: one served only where its transfer constraints forbid is not
        // offered.
        let transfer = key.policy.transfer
        let models = snapshot.routes
            .filter { model, targets in
                key.policy.allows(model: model) && snapshot.prices[model] != nil
                    && (transfer == .none || targets.contains { transfer.allows($0.channel) })
            }
            .keys.sorted()
        var body: String
        if anthropic {
            body = "{\"data\":["
            body += models.map {
                let id = JSONText.quotedString($0)
                return
                    "{\"type\":\"model\",\"id\":\(id),\"display_name\":\(id),\"created_at\":\"1970-01-01T00:00:00Z\"}"
            }.joined(separator: ",")
            body += "],\"has_more\":false,\"first_id\":\(models.first.map(JSONText.quotedString) ?? "null")"
            body += ",\"last_id\":\(models.last.map(JSONText.quotedString) ?? "null")}"
        } else {
            body = "{\"object\":\"list\",\"data\":["
            body += models.map {
                "{\"id\":\(JSONText.quotedString($0)),\"object\":\"model\",\"created\":0,\"owned_by\":\"wharf\"}"
            }.joined(separator: ",")
            body += "]}"
        }
        return Self.json(body, status: .ok)
    }

    static let anthropicVersion = HTTPField.Name("anthropic-version")!

    static func json(_ body: String, status: HTTPResponse.Status) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
