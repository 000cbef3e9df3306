import AsyncHTTPClient
import Foundation
import NIOCore
import WharfPayments

/// Makes the calls to payment gateways that ``WharfPayments`` builds (create, query, refund): off the relay's hot
/// path, with a timeout on every call and a bound on every reply. Errors never carry the request URL (Epay puts the
/// merchant key in it) or the reply.
public final class PaymentHTTPClient: Sendable {
    /// A gateway's reply: status and body (at most ``maxReplyBytes``).
    public struct Reply: Sendable {
        public var status: Int
        public var body: [UInt8]
    }

    /// Why a call failed, without secrets.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    let timeout: TimeAmount
    /// Replies larger than this are refused (gateway replies are a few hundred bytes).
    static let maxReplyBytes = 256 * 1024

    /// One connection pool for the process (it lives as long as the process, so it needs no shutdown): no
    /// redirects followed (a redirect could carry a query with the key elsewhere), no decompression, 15 s to
    /// connect.
    static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(15), read: .seconds(30))
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// Creates a client whose calls end after `timeoutMillis` in all.
    public init(timeoutMillis: Int64 = 15_000) {
        timeout = .milliseconds(timeoutMillis)
    }

    /// Sends `request` and reads the reply.
    public func send(_ request: GatewayRequest) async throws(Failure) -> Reply {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = request.method == "GET" ? .GET : .POST
        for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
        if let body = request.body { outgoing.body = .bytes(ByteBuffer(bytes: body)) }
        let timeout = self.timeout
        let prepared = outgoing
        do {
            // One deadline for the whole call: AsyncHTTPClient's own ends when the head arrives, and a gateway
            // dribbling its body must not hold a request or the reconciler.
            return try await withThrowingTaskGroup(of: Reply?.self) { group in
                group.addTask {
                    let response = try await Self.http.execute(prepared, timeout: timeout)
                    let body = try await response.body.collect(upTo: Self.maxReplyBytes)
                    return Reply(status: Int(response.status.code), body: Array(buffer: body))
                }
                group.addTask {
                    try await Task.sleep(for: .nanoseconds(timeout.nanoseconds))
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let reply = first else {
                    throw Failure(description: "the gateway did not answer in time")
                }
                return reply
            }
        } catch let failure as Failure {
            throw failure
        } catch {
            // AsyncHTTPClient's errors name no URL, but say only what kind of failure it was, to be sure.
            throw Failure(description: "the gateway did not answer (\(String(describing: type(of: error))))")
        }
    }
}
