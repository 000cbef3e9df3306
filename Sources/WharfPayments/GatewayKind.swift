/// The payment gateways Wharf speaks to.
public enum GatewayKind: String, Sendable, CaseIterable, Codable {
    /// Epay v1 ("彩虹易支付" protocol, MD5 key).
    case epay
    /// HupiJiao (虎皮椒, xunhupay).
    case hupijiao
    /// Stripe Checkout.
    case stripe
    /// The epusdt protocol (BEpusdt, assimon/epusdt and forks).
    case epusdt
}
