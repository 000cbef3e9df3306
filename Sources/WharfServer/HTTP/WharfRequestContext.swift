import Hummingbird
import NIOCore

/// The request context of every route: Hummingbird's core storage plus the peer address of the connection.
public struct WharfRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection's peer IP address (never a forwarded header).
    public let peerAddress: String?
    /// Who is asking, on console and website routes (set by ``WebSessionMiddleware``; nil on `/v1`). Kept behind
    /// one reference so the context that every relayed request copies stays a few words long.
    public var visitor: Visitor? {
        get { visitorBox?.visitor }
        set { visitorBox = newValue.map(VisitorBox.init) }
    }
    private var visitorBox: VisitorBox?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peerAddress = source.channel.remoteAddress?.ipAddress
    }
}
