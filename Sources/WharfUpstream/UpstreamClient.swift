import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import WharfCore

/// Reaches upstream providers. The relay uses ``pool`` (keep-alive connections per event loop, driven by callbacks
/// on the client connection's loop); ``send(path:targets:contentType:body:)`` is the simple async form over one shared
/// AsyncHTTPClient (TLS with certificate verification, connect and read timeouts), for requests off the hot path
/// such as the admin channel test.
public final class UpstreamClient: Sendable {
    /// Timeouts and limits.
    public struct Settings: Sendable {
        /// Time to establish a connection.
        public var connectTimeoutMillis: Int64
        /// Longest silence while waiting for response bytes (headers or the next chunk).
        public var readTimeoutMillis: Int64
        /// How many channels one request may try.
        public var maxAttempts: Int
        /// Relay connections to one origin at most, for the whole process (see ``UpstreamConnectionPool``).
        public var maxConnectionsPerOrigin: Int
        /// Which addresses relay connections may go to, checked after resolution at every connect.
        public var addressPolicy: UpstreamAddressPolicy

        /// Creates settings.
        public init(
            connectTimeoutMillis: Int64 = 10_000, readTimeoutMillis: Int64 = 120_000, maxAttempts: Int = 3,
            maxConnectionsPerOrigin: Int = 4096, addressPolicy: UpstreamAddressPolicy = UpstreamAddressPolicy()
        ) {
            self.addressPolicy = addressPolicy
            self.connectTimeoutMillis = connectTimeoutMillis
            self.readTimeoutMillis = readTimeoutMillis
            self.maxAttempts = maxAttempts
            self.maxConnectionsPerOrigin = maxConnectionsPerOrigin
        }
    }

    let http: HTTPClient
    /// Connections for the relay.
    public let pool: UpstreamConnectionPool
    /// Timeouts and limits in force.
    public let settings: Settings
    /// Health of every channel, shared by all requests.
    public let health: ChannelHealthBoard
    let clock: WharfClock

    /// Creates a client.
    public init(settings: Settings, health: ChannelHealthBoard, clock: WharfClock = .system) {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(
            connect: .milliseconds(settings.connectTimeoutMillis), read: .milliseconds(settings.readTimeoutMillis))
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 1024
        configuration.connectionPool.idleTimeout = .seconds(60)
        // A refused connection is a channel failure to fail over from at once, not something to retry in place.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.decompression = .disabled
        configuration.redirectConfiguration = .disallow
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        pool = UpstreamConnectionPool(
            connectTimeout: .milliseconds(settings.connectTimeoutMillis),
            maxConnectionsPerOrigin: settings.maxConnectionsPerOrigin,
            loopCount: NIOSingletons.groupLoopCountSuggestion, addressPolicy: settings.addressPolicy)
        self.settings = settings
        self.health = health
        self.clock = clock
    }

    /// Shuts the connection pools down.
    public func shutdown() async {
        await pool.shutdown()
        try? await http.shutdown()
    }

    /// A response whose head arrived from a channel; its body has not been read yet.
    public struct Answer: Sendable {
        /// The channel that answered.
        public let target: UpstreamTarget
        /// The upstream response (status 2xx).
        public let response: HTTPClientResponse
        /// Channels tried, including this one.
        public let attempts: Int
        /// When the attempt that answered started (monotonic ms).
        public let startedAt: Int64
    }

    /// One POST to `path` of `target` for an operator's test, connecting to `address` when given (the address the
    /// caller checked, pinned so that the name cannot resolve elsewhere in between). Returns the HTTP status; the body
    /// is read (up to 1 MiB) and dropped. Does not count toward the channel's health.
    public func probe(
        target: UpstreamTarget, path: String, body: ByteBuffer, address: String?,
        headers extra: [(name: String, value: String)] = []
    ) async throws -> Int {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(
            connect: .milliseconds(settings.connectTimeoutMillis), read: .milliseconds(settings.readTimeoutMillis))
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        if let address, let host = URLComponents(string: target.url(path))?.host {
            configuration.dnsOverride = [host: address]
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            var request = HTTPClientRequest(url: target.url(path))
            request.method = .POST
            request.headers.add(name: "content-type", value: "application/json")
            request.headers.add(name: target.authHeader.name, value: target.authHeader.value)
            for field in extra { request.headers.add(name: field.name, value: field.value) }
            request.body = .bytes(body)
            let response = try await client.execute(request, timeout: .milliseconds(settings.readTimeoutMillis))
            _ = try? await response.body.collect(upTo: 1 << 20)
            try? await client.shutdown()
            return Int(response.status.code)
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// Sends a POST to `path` on the first channel of `targets` that answers with a 2xx head, moving to the next
    /// channel on a connection error, timeout, 401/403, 408, 429 or 5xx, up to ``Settings/maxAttempts`` channels.
    /// Another 4xx is the client's fault: it ends the request with ``UpstreamError/rejected(_:)``.
    ///
    /// `body(target)` gives the bytes to send to each channel (the model name may differ per channel).
    public func send(
        path: String, targets: [UpstreamTarget], contentType: String = "application/json",
        body: (UpstreamTarget) -> ByteBuffer
    ) async throws(UpstreamError) -> Answer {
        var attempts = 0
        var lastStatus: Int?
        for target in targets {
            guard attempts < settings.maxAttempts else { break }
            let start = clock.monotonicMillis()
            guard health.admit(target.channel.id, now: start) else { continue }
            attempts += 1
            var request = HTTPClientRequest(url: target.url(path))
            request.method = .POST
            request.headers.add(name: "content-type", value: contentType)
            request.headers.add(name: "accept", value: "application/json, text/event-stream")
            request.headers.add(name: target.authHeader.name, value: target.authHeader.value)
            request.body = .bytes(body(target))
            do {
                let response = try await http.execute(request, timeout: .hours(2))
                let code = Int(response.status.code)
                if (200..<300).contains(code) {
                    health.record(
                        target.channel.id, success: true, latencyMillis: clock.monotonicMillis() - start,
                        now: clock.monotonicMillis())
                    return Answer(target: target, response: response, attempts: attempts, startedAt: start)
                }
                let retryable = UpstreamError.failsOver(status: code)
                let errorBody = (try? await response.body.collect(upTo: 64 * 1024)).map { Array($0.readableBytesView) }
                health.record(
                    target.channel.id, success: !retryable, latencyMillis: clock.monotonicMillis() - start,
                    now: clock.monotonicMillis())
                lastStatus = code
                if !retryable {
                    throw UpstreamError.rejected(ReducedUpstreamError(status: code, body: errorBody ?? []))
                }
            } catch let error as UpstreamError {
                throw error
            } catch {
                if Task.isCancelled { throw UpstreamError.allFailed(attempts: attempts, lastStatus: lastStatus) }
                health.record(
                    target.channel.id, success: false, latencyMillis: clock.monotonicMillis() - start,
                    now: clock.monotonicMillis())
            }
        }
        if attempts == 0 { throw .noneAvailable }
        throw .allFailed(attempts: attempts, lastStatus: lastStatus)
    }
}
