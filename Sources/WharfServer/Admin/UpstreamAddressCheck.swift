import Foundation
import NIOPosix
import WharfCore
import WharfUpstream

/// Applies ``UpstreamAddressPolicy`` to a channel's base URL: the host as written, then every address it resolves
/// to (a name can point anywhere). Used when a channel is added or edited (pages and CLI) and before "Test".
public enum UpstreamAddressCheck {
    /// Why `baseURL` is refused, in words for the operator; nil when it may be used. A name that does not resolve
    /// now is allowed (the upstream may be unreachable from here at setup time); its addresses are checked again
    /// before each test.
    public static func refusal(baseURL: String, policy: UpstreamAddressPolicy) async -> String? {
        guard let url = URL(string: baseURL), let host = url.host, !host.isEmpty else { return "no host name" }
        if let refused = policy.refusal(host: host) { return "\(host) is \(refused.rawValue)" }
        let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        if IPRange.parseAddress(bare) != nil { return nil }
        let addresses = await resolve(bare)
        for address in addresses {
            if let refused = policy.refusal(address: address) {
                return "\(host) resolves to \(address), \(refused.rawValue)"
            }
        }
        return nil
    }

    /// For a request to send now ("Test"): the one address to connect to, resolved and checked here so that the
    /// request cannot be sent to another the name resolves to a moment later (DNS rebinding). nil address: the host
    /// is an address literal, already checked. A refusal, or a name that does not resolve, is the failure text.
    static func pinnedAddress(baseURL: String, policy: UpstreamAddressPolicy) async -> Result<String?, PinFailure> {
        guard let url = URL(string: baseURL), let host = url.host, !host.isEmpty else {
            return .failure(PinFailure(text: "no host name"))
        }
        if let refused = policy.refusal(host: host) {
            return .failure(PinFailure(text: "\(host) is \(refused.rawValue)"))
        }
        let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        if IPRange.parseAddress(bare) != nil { return .success(nil) }
        let addresses = await resolve(bare)
        guard let allowed = addresses.first(where: { policy.refusal(address: $0) == nil }) else {
            return .failure(
                PinFailure(
                    text: addresses.isEmpty ? "\(host) does not resolve" : "\(host) resolves only to refused addresses")
            )
        }
        return .success(allowed)
    }

    /// Why a test request is not sent.
    struct PinFailure: Error {
        let text: String
    }

    /// Every address `host` resolves to, as text, looked up on the relay's own lookup pool.
    static func resolve(_ host: String) async -> [String] {
        let found = try? await PolicyResolver.lookUpPool.runIfActive { PolicyResolver.addresses(host: host, port: 0) }
        return (found ?? []).compactMap(\.ipAddress)
    }
}
