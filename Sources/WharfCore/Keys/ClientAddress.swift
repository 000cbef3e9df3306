/// How a client's IP address is kept in usage records (data minimisation, promise P1).
public enum ClientAddress {
    /// `full` keeps the address, `truncated` keeps the IPv4 /24 or IPv6 /48 network, `none` keeps nothing.
    public static func stored(_ address: String?, mode: String) -> String? {
        guard let address, mode != "none" else { return nil }
        guard mode == "truncated" else { return address }
        guard let bytes = IPRange.parseAddress(address) else { return nil }
        let length = bytes.count == 4 ? 24 : 48
        return IPRange("\(address)/\(length)")?.description
    }
}
