import Foundation

/// Which network addresses a channel's base URL may point at (issue 11, finding 12). An admin's "Test" button and
/// the relay send the channel's key to that address; without this a channel could reach the cloud metadata service
/// or probe the internal network.
///
/// - Never: link-local (169.254.0.0/16 with the cloud metadata address 169.254.169.254, fe80::/10), the other
///   metadata addresses (Alibaba's 100.100.100.200, AWS's fd00:ec2::254), "this network" (0.0.0.0/8, ::),
///   multicast, broadcast and reserved ranges; and the metadata host names.
/// - Private ranges (10/8, 172.16/12, 192.168/16, 100.64/10 shared address space, fc00::/7) only with
///   `upstream_allow_private` (off by default).
/// - Loopback (127/8, ::1) only with `upstream_allow_loopback` (on by default, so a model server on the same host
///   keeps working).
public struct UpstreamAddressPolicy: Sendable, Equatable {
    public var allowPrivate: Bool
    public var allowLoopback: Bool

    /// Creates a policy.
    public init(allowPrivate: Bool = false, allowLoopback: Bool = true) {
        self.allowPrivate = allowPrivate
        self.allowLoopback = allowLoopback
    }

    /// Why an address is refused.
    public enum Refusal: String, Sendable, Equatable {
        case metadata = "a cloud metadata or link-local address"
        case reserved = "a reserved, multicast or unspecified address"
        case privateNetwork = "a private network address (allow with upstream_allow_private)"
        case loopback = "a loopback address (allow with upstream_allow_loopback)"
    }

    static func ranges(_ list: [String]) -> [IPRange] { list.compactMap(IPRange.init) }
    static let metadata = ranges([
        "169.254.0.0/16", "fe80::/10", "100.100.100.200/32", "fd00:ec2::254/128", "168.63.129.16/32",
    ])
    /// Includes the IPv6 forms that carry an IPv4 address inside (IPv4-compatible `::/96`, NAT64 `64:ff9b::/96` and
    /// `64:ff9b:1::/48`, 6to4 `2002::/16`, Teredo `2001::/32`): a channel has no reason to use them, and they could
    /// wrap any of the ranges above.
    static let reserved = ranges([
        "0.0.0.0/8", "224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32", "192.0.0.0/24", "198.18.0.0/15",
        "::/96", "ff00::/8", "64:ff9b::/96", "64:ff9b:1::/48", "2002::/16", "2001::/32", "2001:db8::/32",
    ])
    static let privateNetworks = ranges([
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7", "fec0::/10",
    ])
    static let loopback = ranges(["127.0.0.0/8", "::1/128"])
    /// Host names that always mean the metadata service.
    static let metadataHosts: Set<String> = ["metadata.google.internal", "metadata", "instance-data"]

    /// Why `address` (textual IPv4 or IPv6; an IPv4-mapped IPv6 address counts as its IPv4) is refused, or nil.
    public func refusal(address: String) -> Refusal? {
        var text = address
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        if let bytes = IPRange.parseAddress(text), bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }),
            bytes[10] == 0xFF, bytes[11] == 0xFF
        {
            text = bytes[12...].map(String.init).joined(separator: ".")
        }
        guard IPRange.parseAddress(text) != nil else { return .reserved }
        if Self.metadata.contains(where: { $0.contains(text) }) { return .metadata }
        if Self.loopback.contains(where: { $0.contains(text) }) { return allowLoopback ? nil : .loopback }
        if Self.reserved.contains(where: { $0.contains(text) }) { return .reserved }
        if Self.privateNetworks.contains(where: { $0.contains(text) }) { return allowPrivate ? nil : .privateNetwork }
        return nil
    }

    /// Why a URL's host is refused before any lookup: a metadata host name, or a literal address `refusal` refuses.
    /// Host names are checked again after they resolve (``refusal(address:)`` on every address).
    public func refusal(host: String) -> Refusal? {
        let lowered = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        if Self.metadataHosts.contains(lowered) { return .metadata }
        if lowered == "localhost" || lowered.hasSuffix(".localhost") { return allowLoopback ? nil : .loopback }
        let bare = lowered.hasPrefix("[") ? String(lowered.dropFirst().dropLast()) : lowered
        if IPRange.parseAddress(bare) != nil { return refusal(address: bare) }
        // Numeric forms a resolver reads as IPv4 (2852039166, 0xA9FEA9FE, 0251.0376.0251.0376, 169.254.43518) are
        // not host names anyone types for a model server.
        let parts = bare.split(separator: ".", omittingEmptySubsequences: false)
        let numeric = parts.allSatisfy { part in
            if part.hasPrefix("0x") { return part.count > 2 && part.dropFirst(2).allSatisfy(\.isHexDigit) }
            return !part.isEmpty && part.allSatisfy { $0.isASCII && $0.isNumber }
        }
        if parts.count <= 4, numeric { return .reserved }
        return nil
    }
}
