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

    /// The receipt page of an order, where the payer's browser comes back to.
    public static func receipt(_ config: WharfConfig, orderID: String) -> String {
        origin(config) + "/console/billing/orders/\(orderID)"
    }
}
