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

    let http: HTTPClient
    let timeout: TimeAmount
    /// Replies larger than this are refused (gateway replies are a few hundred bytes).
    static let maxReplyBytes = 256 * 1024

    /// Creates a client with `timeoutMillis` for connecting and for the whole call.
    public init(timeoutMillis: Int64 = 15_000) {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .milliseconds(timeoutMillis), read: .milliseconds(timeoutMillis))
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        timeout = .milliseconds(timeoutMillis)
    }

    /// Shuts the client down.
    public func shutdown() async { try? await http.shutdown() }

    /// Sends `request` and reads the reply.
    public func send(_ request: GatewayRequest) async throws(Failure) -> Reply {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = request.method == "GET" ? .GET : .POST
        for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
        if let body = request.body { outgoing.body = .bytes(ByteBuffer(bytes: body)) }
        do {
            let response = try await http.execute(outgoing, timeout: timeout)
            let body = try await response.body.collect(upTo: Self.maxReplyBytes)
            return Reply(status: Int(response.status.code), body: Array(buffer: body))
        } catch {
            // AsyncHTTPClient's errors name no URL, but say only what kind of failure it was, to be sure.
            throw Failure(description: "the gateway did not answer (\(String(describing: type(of: error))))")
        }
    }
}
