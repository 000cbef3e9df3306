import NIOCore
import NIOPosix
import WharfCore

#if canImport(Glibc)
    import Glibc
#endif

/// Resolves an upstream's host name for the relay's connections and keeps only the addresses
/// ``UpstreamAddressPolicy`` allows, at the moment of connecting: a name that pointed at a public address when the
/// channel was saved and at the metadata service now (DNS rebinding) gets no address and the connection fails. The
/// lookup (`getaddrinfo`) runs on NIO's thread pool, never on the event loop.
struct PolicyResolver: Resolver, Sendable {
    let eventLoop: any EventLoop
    let policy: UpstreamAddressPolicy

    func initiateAQuery(host: String, port: Int) -> EventLoopFuture<[SocketAddress]> {
        lookUp(host: host, port: port, family: AF_INET)
    }

    func initiateAAAAQuery(host: String, port: Int) -> EventLoopFuture<[SocketAddress]> {
        lookUp(host: host, port: port, family: AF_INET6)
    }

    func cancelQueries() {}

    func lookUp(host: String, port: Int, family: Int32) -> EventLoopFuture<[SocketAddress]> {
        let policy = policy
        return NIOThreadPool.singleton.runIfActive(eventLoop: eventLoop) {
            Self.addresses(host: host, port: port, family: family).filter { address in
                guard let text = address.ipAddress else { return false }
                return policy.refusal(address: text) == nil
            }
        }
    }

    /// Every address of `family` that `host` resolves to (blocking).
    static func addresses(host: String, port: Int, family: Int32) -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_family = family
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
