import Foundation

/// Who the client is on the network, and how its address is kept in usage records (data minimisation, P1).
public enum ClientAddress {
    /// The client's address: the connection's peer, unless the peer is a trusted proxy, in which case the
    /// right-most `X-Forwarded-For` entry that is not itself a trusted proxy. Forwarded headers from anyone else are
    /// ignored, so a client cannot choose its own address (promise P7).
    ///
    /// `forwardedFor` is every `X-Forwarded-For` field line joined with commas (a proxy may append a line of its own
    /// rather than extend the first). Behind a trusted proxy the header fails closed: an empty header, or an entry
    /// that is not an address (`unknown`, `host:port`) before a non-proxy address is found, or no header at all,
    /// gives nil (no address, which no allowlist admits), never the proxy's own address. Every path (relay, API, pages) reads it here.
    public static func effective(peer: String?, forwardedFor: String?, trustedProxies: [IPRange]) -> String? {
        guard let peer, !trustedProxies.isEmpty, trustedProxies.contains(where: { $0.contains(peer) }) else {
            return peer
        }
        // A trusted proxy always says whom it forwards for; without the header the client is unknown.
        guard let forwardedFor else { return nil }
        let hops = forwardedFor.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        for hop in hops.reversed() {
            guard IPRange.parseAddress(hop) != nil else { return nil }
            if !trustedProxies.contains(where: { $0.contains(hop) }) { return hop }
        }
        // Every entry names a trusted proxy: the request came from inside the trusted network (a same-host proxy
        // forwarding a local client, say); the left-most hop is the best account of it.
        return hops.first
    }

    /// The unit rate limits count per: an IPv4 address, or the IPv6 /64 network (one subscriber's usual
    /// allocation, so hopping between its addresses does not reset a limit).
    public static func limitScope(_ address: String?) -> String {
        guard let address, let bytes = IPRange.parseAddress(address) else { return "-" }
        if bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            return bytes[12...].map(String.init).joined(separator: ".")
        }
        guard bytes.count == 16 else { return address }
        return IPRange("\(address)/64")?.description ?? address
    }

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
