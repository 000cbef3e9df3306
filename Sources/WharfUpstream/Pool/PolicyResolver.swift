import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import WharfCore

#if canImport(Glibc)
    import Glibc
#endif

/// Resolves an upstream's host name for the relay's connections and keeps only the addresses
/// ``UpstreamAddressPolicy`` allows, at the moment of connecting: a name that pointed at a public address when the
/// channel was saved and at the metadata service now (DNS rebinding) gets no address and the connection fails.
///
/// An address literal is answered on the event loop without a lookup. A name is looked up once per connection
/// attempt (`getaddrinfo`, both families, serving the A and AAAA queries alike) on ``lookUpPool``, a small pool of
/// its own: a slow or silent DNS server then delays only new upstream connections, never the database or password
/// checks on NIO's shared pool.
public final class PolicyResolver: Resolver, Sendable {
    /// Two threads for upstream name lookups, started once.
    public static let lookUpPool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
        return pool
    }()

    let eventLoop: any EventLoop
    let policy: UpstreamAddressPolicy
    private let lookUp = NIOLockedValueBox<EventLoopFuture<[SocketAddress]>?>(nil)

    init(eventLoop: any EventLoop, policy: UpstreamAddressPolicy) {
        self.eventLoop = eventLoop
        self.policy = policy
    }

    public func initiateAQuery(host: String, port: Int) -> EventLoopFuture<[SocketAddress]> {
        allowed(host: host, port: port).map { $0.filter { $0.protocol == .inet } }
    }

    public func initiateAAAAQuery(host: String, port: Int) -> EventLoopFuture<[SocketAddress]> {
        allowed(host: host, port: port).map { $0.filter { $0.protocol == .inet6 } }
    }

    public func cancelQueries() {}

    /// Every allowed address of `host`, looked up once for both queries.
    func allowed(host: String, port: Int) -> EventLoopFuture<[SocketAddress]> {
        let policy = policy
        if IPRange.parseAddress(host) != nil {
            let literal = (try? SocketAddress(ipAddress: host, port: port)).map { [$0] } ?? []
            return eventLoop.makeSucceededFuture(literal.filter { Self.allows(policy, $0) })
        }
        return lookUp.withLockedValue { cached in
            if let cached { return cached }
            let future = Self.lookUpPool.runIfActive(eventLoop: eventLoop) {
                Self.addresses(host: host, port: port).filter { Self.allows(policy, $0) }
            }
            cached = future
            return future
        }
    }

    static func allows(_ policy: UpstreamAddressPolicy, _ address: SocketAddress) -> Bool {
        guard let text = address.ipAddress else { return false }
        return policy.refusal(address: text) == nil
    }

    /// Every address `host` resolves to, both families (blocking; run it on ``lookUpPool``).
    public static func addresses(host: String, port: Int) -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let first = result else { return [] }
        defer { freeaddrinfo(first) }
        var out: [SocketAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            if let raw = info.pointee.ai_addr {
                switch Int32(raw.pointee.sa_family) {
                case AF_INET:
                    raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                        out.append(SocketAddress($0.pointee, host: host))
                    }
                case AF_INET6:
                    raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                        out.append(SocketAddress($0.pointee, host: host))
                    }
                default: break
                }
            }
            cursor = info.pointee.ai_next
        }
        return out
    }
}
