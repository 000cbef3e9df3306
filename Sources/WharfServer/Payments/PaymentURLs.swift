import Foundation
import WharfCore

/// The addresses Wharf gives payment gateways: one callback address per gateway instance (so a callback can only
/// ever concern that instance's orders), and the page the payer's browser returns to.
public enum PaymentURLs {
    /// The public origin without a trailing slash, query or fragment (a trailing slash broke other panels'
    /// callbacks).
    static func origin(_ config: WharfConfig) -> String {
        var base = config.effectivePublicURL
        if let cut = base.firstIndex(where: { $0 == "?" || $0 == "#" }) { base = String(base[..<cut]) }
        while base.hasSuffix("/") { base.removeLast() }
        return base
    }

    /// Where gateway instance `gatewayID` sends its callbacks (paste it into the gateway's dashboard).
    public static func callback(_ config: WharfConfig, gatewayID: String) -> String {
        origin(config) + "/api/pay/\(gatewayID)/notify"
    }

    /// Whether `url`, a pay page named in a gateway's reply, may be where the payer's browser is sent: an https
    /// address (or an address on the gateway's own origin, which may be plain http on a private network), with no
    /// user info and nothing but printable ASCII. Anything else (`javascript:`, `data:`, `//host`, http elsewhere)
    /// is refused, so a tampered reply cannot turn the top-up into a redirect to anywhere.
    public static func isAllowedPayPage(_ url: String, gatewayURL: String) -> Bool {
        guard !url.isEmpty, url.utf8.count <= 4096, url.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }),
            let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(),
            let host = parts.host, !host.isEmpty, parts.user == nil, parts.password == nil
        else { return false }
        if scheme == "https" { return true }
        guard scheme == "http", let gateway = URLComponents(string: gatewayURL) else { return false }
        return gateway.scheme?.lowercased() == "http" && gateway.host?.lowercased() == host.lowercased()
            && gateway.port == parts.port
    }

    /// The receipt page of an order, where the payer's browser comes back to.
    public static func receipt(_ config: WharfConfig, orderID: String) -> String {
        origin(config) + "/console/billing/orders/\(orderID)"
    }
}
