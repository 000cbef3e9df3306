/// How a client's IP address is kept in usage records (data minimisation, promise P1).
public enum ClientAddress {
    /// `full` keeps the address, `truncated` keeps the IPv4 /24 or IPv6 /48 network, `none` keeps nothing.
    public static func stored(_ address: String?, mode: String) -> String? {
        guard let address, mode != "none" else { return nil }
        guard mode == "truncated" else { return address }
        guard var bytes = IPRange.parseAddress(address) else { return nil }
        // An IPv4 client on a dual-stack socket arrives as ::ffff:a.b.c.d: keep it as IPv4.
        if bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            bytes = Array(bytes[12...])
        }
        let text = bytes.count == 4 ? bytes.map(String.init).joined(separator: ".") : address
        return IPRange("\(text)/\(bytes.count == 4 ? 24 : 48)")?.description
    }
}
