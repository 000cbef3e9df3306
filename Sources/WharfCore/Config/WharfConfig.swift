import Foundation

/// Wharf's configuration, read once at start into typed values.
///
/// Sources, strongest first: command-line flags, `WHARF_*` environment variables, the optional `wharf.yaml`, and
/// the defaults below. Every setting has one name, written `snake_case` in the file, `WHARF_SNAKE_CASE` in the
/// environment and `--kebab-case` as a flag. Resolution is pure (``resolve(flags:environment:file:)``) so it is
/// tested without touching the process.
public struct WharfConfig: Sendable, Equatable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var dataDir = "./wharf-data"
    /// `postgres://…`; nil means the SQLite file `<dataDir>/wharf.sqlite`.
    public var databaseURL: String?
    /// Master keys (base64 or hex, comma-separated, primary first); nil means `<dataDir>/master.key`.
    public var masterKey: String?
    public var logLevel = "info"
    /// Largest accepted request body.
    public var maxBodyBytes = 32 * 1024 * 1024
    /// Channels one request may try.
    public var maxAttempts = 3
    public var upstreamConnectTimeoutMillis: Int64 = 10_000
    /// Longest silence from an upstream before the attempt fails.
    public var upstreamReadTimeoutMillis: Int64 = 120_000
    /// Consecutive failures that open a channel's circuit.
    public var breakerFailures = 5
    public var breakerCooldownMillis: Int64 = 30_000
    /// Output tokens held for a request that sets no `max_tokens`.
    public var defaultMaxOutputTokens: Int64 = 4096
    /// After a client leaves, how long its upstream answer is still read for its usage before the estimate is charged.
    public var disconnectDrainMillis: Int64 = 60_000
    /// After a client leaves, how many bytes of its upstream answer are read at most for its usage.
    public var disconnectDrainBytes = 8 << 20
    /// Largest single server-sent event relayed (a stream with a larger one is cut).
    public var maxSSEEventBytes = 8 << 20
    /// A client connection with no request for this long after its last answer is closed.
    public var clientIdleTimeoutMillis: Int64 = 75_000
    /// A request head must be complete this long after its first byte.
    public var clientHeaderTimeoutMillis: Int64 = 30_000
    /// A request body must be complete this long after its head.
    public var clientBodyTimeoutMillis: Int64 = 120_000
    /// A client that does not read its answer for this long is disconnected.
    public var clientStallTimeoutMillis: Int64 = 60_000
    /// Usage writer: flush at least this often.
    public var usageFlushMillis: Int64 = 100
    /// Usage writer: flush when this many rows wait.
    public var usageFlushRows = 500
    /// How client IPs are kept in usage records: `full`, `truncated` (IPv4 /24, IPv6 /48) or `none`.
    public var clientIPMode = "truncated"
    /// How often a server checks for configuration changes.
    public var reloadIntervalMillis: Int64 = 1000
    /// Requests per minute per key for keys without their own limit (0: unlimited).
    public var keyRequestsPerMinute: Int64 = 0
    /// Networks the admin API may be reached from (the effective client address must be in one).
    public var adminAllowlist: [IPRange] = [IPRange("127.0.0.1/32"), IPRange("::1/128")].compactMap { $0 }
    /// Proxies whose `X-Forwarded-For` header is believed; empty means the peer address is the client.
    public var trustedProxies: [IPRange] = []
    /// Event-loop threads for HTTP (0: one per core).
    public var threads = 0
    /// Grace period for in-flight requests at shutdown.
    public var shutdownGraceMillis: Int64 = 10_000
    /// A database call (PostgreSQL) that has not finished after this long is abandoned and its connection closed.
    public var databaseTimeoutMillis: Int64 = 10_000
    /// New relay requests are refused while the oldest charge waiting to be written is older than this.
    public var unwrittenChargesMaxAgeMillis: Int64 = 60_000
    /// New relay requests are refused while the charges not written (queued or set aside) sum past this.
    public var unwrittenChargesMaxAmount = Money(micros: 100_000_000)
    /// Connections to one upstream origin (scheme, host, port) at most; a request past it waits for one.
    public var upstreamMaxConnectionsPerOrigin = 4096
    /// Active API keys one account may have (console and CLI).
    public var maxKeysPerAccount = 100
    /// Minutes an unpaid top-up order stays open before it expires (a proven payment still settles it later).
    public var paymentOrderMinutes = 60
    /// How long each retention class is kept (`retention_<class>_days`); the retention job and the privacy page
    /// both read it.
    public var retention = RetentionSchedule()
    /// Whether the server runs the retention job (at start and daily). Not a file setting: always on in a
    /// deployment; tests that write records dated decades ago turn it off so it does not delete them mid-scenario.
    public var retentionJobEnabled = true
    /// Days payment records (orders, callbacks, refunds, codes) and the ledger are kept: 5 years by default.
    public var retentionPaymentDays: Int {
        get { retention.paymentDays }
        set { retention.paymentDays = newValue }
    }
    /// Which addresses a channel's base URL may point at (private ranges off, loopback on by default).
    public var upstreamAddresses = UpstreamAddressPolicy()
    /// The address users reach the console at, for links in emails (default `http://<host>:<port>`).
    public var publicURL: String?
    /// Whether session cookies carry `Secure`: `auto` (when `public_url` is https), `true` or `false`.
    public var cookieSecure = "auto"
    /// A console session ends after this many minutes without a request.
    public var sessionIdleMinutes = 120
    /// A console session ends this many hours after sign-in, however active.
    public var sessionAbsoluteHours = 24 * 7
    /// The current privacy policy and terms version users accept at sign-up.
    public var policyVersion = "2026-11-01"
    /// SMTP relay for outgoing email; mail waits in the outbox while unset.
    public var smtpHost: String?
    public var smtpPort = 587
    /// `starttls` (default), `tls` (implicit, port 465) or `none` (loopback relays only).
    public var smtpSecurity = "starttls"
    public var smtpUsername: String?
    /// Sealed nowhere: read from the configuration at start only, never stored in the database or logged.
    public var smtpPassword: String?
    /// The From address of outgoing mail.
    public var smtpFrom = "Wharf <no-reply@localhost>"
    /// An extra PEM trust root for the SMTP relay's certificate (a private relay).
    public var smtpCAFile: String?
    /// Whether new accounts must confirm their email before signing in: `auto` (when SMTP is configured), `true`
    /// or `false`.
    public var requireEmailVerification = "auto"
    /// bcrypt cost of new password hashes. Not a file setting: 12 in every deployment; tests lower it to save time.
    public var passwordHashCost: UInt8 = 12
    /// Telegram bot for Telegram sign-in (token from @BotFather; never stored in the database or logged).
    public var telegramBotToken: String?
    /// The bot's username, shown by the login widget.
    public var telegramBotName: String?

    /// The defaults.
    public init() {}

    /// Every setting name (file spelling).
    public static let keys: [String] =
        [
            "host", "port", "data_dir", "database_url", "master_key", "log_level", "max_body_bytes", "max_attempts",
            "upstream_connect_timeout_ms", "upstream_read_timeout_ms", "breaker_failures", "breaker_cooldown_ms",
            "default_max_output_tokens", "usage_flush_ms", "usage_flush_rows", "client_ip_mode", "reload_interval_ms",
            "shutdown_grace_ms", "threads", "key_rpm", "admin_allowlist", "trusted_proxies", "config",
            "public_url", "cookie_secure", "session_idle_minutes", "session_absolute_hours", "policy_version",
            "smtp_host", "smtp_port", "smtp_security", "smtp_username", "smtp_password", "smtp_from", "smtp_ca_file",
            "require_email_verification", "telegram_bot_token", "telegram_bot_name", "disconnect_drain_ms",
            "disconnect_drain_bytes", "max_sse_event_bytes", "client_idle_timeout_ms", "client_header_timeout_ms",
            "client_body_timeout_ms", "client_stall_timeout_ms", "database_timeout_ms", "unwritten_charges_max_age_ms",
            "unwritten_charges_max_amount", "upstream_max_connections_per_origin", "upstream_allow_private",
            "upstream_allow_loopback", "max_keys_per_account", "payment_order_minutes",
        ] + RetentionSchedule.settings.map(\.key)

    /// The environment variable of a setting: `WHARF_` + upper-case name.
    public static func environmentName(_ key: String) -> String { "WHARF_" + key.uppercased() }

    /// Resolves the configuration from its three sources (flags and file keys in file spelling).
    public static func resolve(
        flags: [String: String], environment: [String: String], file: [String: String]
    ) throws(ConfigError) -> WharfConfig {
        for key in file.keys where !keys.contains(key) || key == "config" {
            throw .unknownKey(key)
        }
        var merged = file
        for key in keys {
            if let v = environment[environmentName(key)] { merged[key] = v }
        }
        for (k, v) in flags { merged[k] = v }
        var c = WharfConfig()
        func int(_ key: String, _ range: ClosedRange<Int>) throws(ConfigError) -> Int? {
            guard let raw = merged[key] else { return nil }
            guard let v = Int(raw.trimmingCharacters(in: .whitespaces)), range.contains(v) else {
                throw .invalid(key, raw, "a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return v
        }
        if let v = merged["host"] {
            guard !v.isEmpty, !v.contains(where: { $0.isWhitespace || $0 == "/" }) else {
                throw .invalid("host", v, "an IP address or host name")
            }
            c.host = v
        }
        if let v = try int("port", 0...65535) { c.port = v }
        if let v = merged["data_dir"] {
            guard !v.isEmpty else { throw .invalid("data_dir", v, "a directory path") }
            c.dataDir = v
        }
        if let v = merged["database_url"], !v.isEmpty {
            guard v.hasPrefix("postgres://") || v.hasPrefix("postgresql://") else {
                throw .invalid("database_url", "(hidden)", "a postgres:// URL (leave unset for SQLite)")
            }
            c.databaseURL = v
        }
        if let v = merged["master_key"], !v.isEmpty { c.masterKey = v }
        if let v = merged["log_level"] {
            let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
            guard levels.contains(v) else { throw .invalid("log_level", v, levels.joined(separator: ", ")) }
            c.logLevel = v
        }
        if let v = try int("max_body_bytes", 1024...(1 << 30)) { c.maxBodyBytes = v }
        if let v = try int("max_attempts", 1...10) { c.maxAttempts = v }
        if let v = try int("upstream_connect_timeout_ms", 100...600_000) { c.upstreamConnectTimeoutMillis = Int64(v) }
        if let v = try int("upstream_read_timeout_ms", 100...3_600_000) { c.upstreamReadTimeoutMillis = Int64(v) }
        if let v = try int("breaker_failures", 1...1000) { c.breakerFailures = v }
        if let v = try int("breaker_cooldown_ms", 0...3_600_000) { c.breakerCooldownMillis = Int64(v) }
        if let v = try int("default_max_output_tokens", 1...10_000_000) { c.defaultMaxOutputTokens = Int64(v) }
        if let v = try int("disconnect_drain_ms", 0...3_600_000) { c.disconnectDrainMillis = Int64(v) }
        if let v = try int("disconnect_drain_bytes", 0...(1 << 30)) { c.disconnectDrainBytes = v }
        if let v = try int("max_sse_event_bytes", 1024...(1 << 30)) { c.maxSSEEventBytes = v }
        if let v = try int("client_idle_timeout_ms", 100...86_400_000) { c.clientIdleTimeoutMillis = Int64(v) }
        if let v = try int("client_header_timeout_ms", 100...3_600_000) { c.clientHeaderTimeoutMillis = Int64(v) }
        if let v = try int("client_body_timeout_ms", 100...86_400_000) { c.clientBodyTimeoutMillis = Int64(v) }
        if let v = try int("client_stall_timeout_ms", 100...86_400_000) { c.clientStallTimeoutMillis = Int64(v) }
        if let v = try int("usage_flush_ms", 1...60_000) { c.usageFlushMillis = Int64(v) }
        if let v = try int("usage_flush_rows", 1...100_000) { c.usageFlushRows = v }
        if let v = merged["client_ip_mode"] {
            guard ["full", "truncated", "none"].contains(v) else {
                throw .invalid("client_ip_mode", v, "full, truncated or none")
            }
            c.clientIPMode = v
        }
        if let v = try int("reload_interval_ms", 50...60_000) { c.reloadIntervalMillis = Int64(v) }
        if let v = try int("shutdown_grace_ms", 0...600_000) { c.shutdownGraceMillis = Int64(v) }
        if let v = try int("database_timeout_ms", 100...600_000) { c.databaseTimeoutMillis = Int64(v) }
        if let v = try int("unwritten_charges_max_age_ms", 1_000...86_400_000) {
            c.unwrittenChargesMaxAgeMillis = Int64(v)
        }
        if let raw = merged["unwritten_charges_max_amount"] {
            guard let v = try? Money(parsing: raw), v.micros > 0 else {
                throw .invalid("unwritten_charges_max_amount", raw, "a positive amount such as 100 or 2.5")
            }
            c.unwrittenChargesMaxAmount = v
        }
        if let v = try int("max_keys_per_account", 1...100_000) { c.maxKeysPerAccount = v }
        if let v = try int("payment_order_minutes", 30...1440) { c.paymentOrderMinutes = v }
        for (key, range) in RetentionSchedule.settings {
            if let v = try int(key, range) { _ = c.retention.set(key, days: v) }
        }
        if let problem = c.retention.problem { throw .unusable("retention_usage_days", problem) }
        if let v = try int("upstream_max_connections_per_origin", 1...100_000) {
            c.upstreamMaxConnectionsPerOrigin = v
        }
        if let v = try int("threads", 0...256) { c.threads = v }
        if let v = try int("key_rpm", 0...10_000_000) { c.keyRequestsPerMinute = Int64(v) }
        func ranges(_ key: String) throws(ConfigError) -> [IPRange]? {
            guard let raw = merged[key] else { return nil }
            var out: [IPRange] = []
            for item in raw.split(separator: ",") {
                let text = item.trimmingCharacters(in: .whitespaces)
                guard let range = IPRange(text) else {
                    throw .invalid(key, raw, "comma-separated IP addresses or CIDR ranges")
                }
                out.append(range)
            }
            return out
        }
        if let v = try ranges("admin_allowlist") { c.adminAllowlist = v }
        if let v = try ranges("trusted_proxies") { c.trustedProxies = v }
        if let v = merged["public_url"], !v.isEmpty {
            guard let url = URL(string: v), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw .invalid("public_url", v, "an http:// or https:// URL")
            }
            c.publicURL = v.hasSuffix("/") ? String(v.dropLast()) : v
        }
        func choice(_ key: String, _ allowed: [String]) throws(ConfigError) -> String? {
            guard let v = merged[key] else { return nil }
            guard allowed.contains(v) else { throw .invalid(key, v, allowed.joined(separator: ", ")) }
            return v
        }
        if let v = try choice("cookie_secure", ["auto", "true", "false"]) { c.cookieSecure = v }
        if let v = try choice("upstream_allow_private", ["true", "false"]) {
            c.upstreamAddresses.allowPrivate = v == "true"
        }
        if let v = try choice("upstream_allow_loopback", ["true", "false"]) {
            c.upstreamAddresses.allowLoopback = v == "true"
        }
        if let v = try int("session_idle_minutes", 1...43_200) { c.sessionIdleMinutes = v }
        if let v = try int("session_absolute_hours", 1...8_760) { c.sessionAbsoluteHours = v }
        if let v = merged["policy_version"], !v.isEmpty { c.policyVersion = v }
        if let v = merged["smtp_host"], !v.isEmpty { c.smtpHost = v }
        if let v = try int("smtp_port", 1...65535) { c.smtpPort = v }
        if let v = try choice("smtp_security", ["starttls", "tls", "none"]) { c.smtpSecurity = v }
        if let v = merged["smtp_username"], !v.isEmpty { c.smtpUsername = v }
        if let v = merged["smtp_password"], !v.isEmpty { c.smtpPassword = v }
        if let v = merged["smtp_from"], !v.isEmpty { c.smtpFrom = v }
        if let v = merged["smtp_ca_file"], !v.isEmpty { c.smtpCAFile = v }
        if let v = try choice("require_email_verification", ["auto", "true", "false"]) {
            c.requireEmailVerification = v
        }
        if let v = merged["telegram_bot_token"], !v.isEmpty {
            guard v.contains(":"), !v.contains(where: \.isWhitespace) else {
                throw .invalid("telegram_bot_token", "(hidden)", "a bot token such as 123456:ABC-DEF...")
            }
            c.telegramBotToken = v
        }
        if let v = merged["telegram_bot_name"], !v.isEmpty {
            guard v.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw .invalid("telegram_bot_name", v, "the bot's username (letters, digits, _)")
            }
            c.telegramBotName = v
        }
        return c
    }

    /// The base of links in emails: `public_url`, or the listening address.
    public var effectivePublicURL: String { publicURL ?? "http://\(host):\(port)" }
    /// Whether cookies are marked `Secure`.
    public var secureCookies: Bool {
        cookieSecure == "true" || (cookieSecure == "auto" && effectivePublicURL.hasPrefix("https://"))
    }
    /// Whether sign-in waits for a confirmed email.
    public var emailVerificationRequired: Bool {
        requireEmailVerification == "true" || (requireEmailVerification == "auto" && smtpHost != nil)
    }

    /// The SQLite file used when no database URL is set.
    public var sqlitePath: String { dataDir + "/wharf.sqlite" }
}

/// A configuration value that cannot be used; its description is the one line printed before exiting with 2.
public enum ConfigError: Error, Equatable, CustomStringConvertible {
    case unknownKey(String)
    case invalid(String, String, String)
    case unreadableFile(String, String)
    case unusable(String, String)

    public var description: String {
        switch self {
        case .unknownKey(let k): "configuration: unknown setting '\(k)' in the config file"
        case .invalid(let k, let v, let want):
            "configuration: \(k) = '\(v)' is invalid; expected \(want) (flag --\(k.replacingOccurrences(of: "_", with: "-")), env \(WharfConfig.environmentName(k)))"
        case .unreadableFile(let path, let why): "configuration: cannot read config file \(path): \(why)"
        case .unusable(let k, let why): "configuration: \(k): \(why)"
        }
    }
}
