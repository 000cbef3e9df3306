import Testing
import WharfCore

@Suite("Configuration")
struct WharfConfigTests {
    static func resolve(
        flags: [String: String] = [:], environment: [String: String] = [:], file: [String: String] = [:]
    ) throws(ConfigError) -> WharfConfig {
        try WharfConfig.resolve(flags: flags, environment: environment, file: file)
    }

    @Test("With no sources, the configuration is the defaults")
    func defaults() throws {
        let config = try Self.resolve()
        #expect(config == WharfConfig())
        #expect(config.host == "127.0.0.1")
        #expect(config.port == 8080)
        #expect(config.dataDir == "./wharf-data")
        #expect(config.databaseURL == nil)
        #expect(config.masterKey == nil)
        #expect(config.logLevel == "info")
        #expect(config.maxBodyBytes == 32 * 1024 * 1024)
        #expect(config.maxAttempts == 3)
        #expect(config.breakerFailures == 5)
        #expect(config.breakerCooldownMillis == 30_000)
        #expect(config.clientIPMode == "truncated")
        #expect(config.threads == 0)
        #expect(config.sqlitePath == "./wharf-data/wharf.sqlite")
    }

    @Test(
        "Flags beat the environment, which beats the file, which beats the defaults",
        arguments: [
            (nil, nil, nil, 8080),
            ("1001", nil, nil, 1001),
            ("1001", "2002", nil, 2002),
            ("1001", "2002", "3003", 3003),
            (nil, nil, "3003", 3003),
            ("1001", nil, "3003", 3003),
            (nil, "2002", nil, 2002),
        ] as [(String?, String?, String?, Int)]
    )
    func precedence(file: String?, env: String?, flag: String?, port: Int) throws {
        let config = try Self.resolve(
            flags: flag.map { ["port": $0] } ?? [:],
            environment: env.map { ["WHARF_PORT": $0] } ?? [:],
            file: file.map { ["port": $0] } ?? [:])
        #expect(config.port == port)
    }

    @Test("Each source can set a different setting, and all of them apply")
    func sourcesCombine() throws {
        let config = try Self.resolve(
            flags: ["host": "0.0.0.0"],
            environment: ["WHARF_DATA_DIR": "/var/lib/wharf", "WHARF_LOG_LEVEL": "debug", "PORT": "1", "WHARF_X": "y"],
            file: ["max_attempts": "5", "client_ip_mode": "none", "breaker_cooldown_ms": "0", "log_level": "error"])
        #expect(config.host == "0.0.0.0")
        #expect(config.dataDir == "/var/lib/wharf")
        #expect(config.sqlitePath == "/var/lib/wharf/wharf.sqlite")
        #expect(config.logLevel == "debug")
        #expect(config.port == 8080)
        #expect(config.maxAttempts == 5)
        #expect(config.clientIPMode == "none")
        #expect(config.breakerCooldownMillis == 0)
    }

    @Test("Every setting is read from its file name into its typed value")
    func everySetting() throws {
        let file = [
            "host": "wharf.internal", "port": " 9000 ", "data_dir": "/d", "database_url": "postgres://u@db/wharf",
            "master_key": "abc123", "log_level": "trace", "max_body_bytes": "1024", "max_attempts": "10",
            "upstream_connect_timeout_ms": "100", "upstream_read_timeout_ms": "3600000", "breaker_failures": "1000",
            "breaker_cooldown_ms": "3600000", "default_max_output_tokens": "1", "usage_flush_ms": "60000",
            "usage_flush_rows": "100000", "client_ip_mode": "full", "reload_interval_ms": "50",
            "shutdown_grace_ms": "600000", "threads": "256", "key_rpm": "600",
            "admin_allowlist": "10.0.0.0/8, ::1", "trusted_proxies": "192.168.0.1",
            "public_url": "https://wharf.example/", "cookie_secure": "auto", "session_idle_minutes": "30",
            "session_absolute_hours": "12", "policy_version": "2027-01", "smtp_host": "mail.example",
            "smtp_port": "465", "smtp_security": "tls", "smtp_username": "u", "smtp_password": "p",
            "smtp_from": "Ops <ops@wharf.example>", "smtp_ca_file": "/ca.pem", "require_email_verification": "false",
            "telegram_bot_token": "123:abc", "telegram_bot_name": "wharf_bot", "disconnect_drain_ms": "0",
            "disconnect_drain_bytes": "1024", "max_sse_event_bytes": "65536", "client_idle_timeout_ms": "1000",
            "client_header_timeout_ms": "2000", "client_body_timeout_ms": "3000", "client_stall_timeout_ms": "4000",
            "database_timeout_ms": "5000", "unwritten_charges_max_age_ms": "120000",
            "unwritten_charges_max_amount": "2.5", "upstream_max_connections_per_origin": "64",
            "upstream_allow_private": "true", "upstream_allow_loopback": "false", "max_keys_per_account": "7",
            "payment_order_minutes": "45", "retention_payment_days": "730", "retention_usage_days": "30",
            "retention_security_days": "60", "retention_support_days": "400", "retention_audit_days": "500",
            "retention_erased_account_days": "7",
        ]
        #expect(Set(file.keys) == Set(WharfConfig.keys).subtracting(["config"]))
        let c = try Self.resolve(file: file)
        #expect(c.host == "wharf.internal")
        #expect(c.keyRequestsPerMinute == 600)
        #expect(c.disconnectDrainMillis == 0)
        #expect(c.disconnectDrainBytes == 1024)
        #expect(c.maxSSEEventBytes == 65536)
        #expect(c.databaseTimeoutMillis == 5000)
        #expect(c.unwrittenChargesMaxAgeMillis == 120_000)
        #expect(c.unwrittenChargesMaxAmount == Money(micros: 2_500_000))
        #expect(c.upstreamMaxConnectionsPerOrigin == 64)
        #expect(c.paymentOrderMinutes == 45)
        #expect(c.retentionPaymentDays == 730)
        #expect(c.retention.entries.map(\.days) == [30, 60, 400, 730, 500, 7])
        #expect(
            [
                c.clientIdleTimeoutMillis, c.clientHeaderTimeoutMillis, c.clientBodyTimeoutMillis,
                c.clientStallTimeoutMillis,
            ]
                == [1000, 2000, 3000, 4000])
        #expect(c.adminAllowlist.map(\.description) == ["10.0.0.0/8", "0:0:0:0:0:0:0:1/128"])
        #expect(c.trustedProxies.map(\.description) == ["192.168.0.1/32"])
        #expect(c.port == 9000)
        #expect(c.dataDir == "/d")
        #expect(c.databaseURL == "postgres://u@db/wharf")
        #expect(c.masterKey == "abc123")
        #expect(c.logLevel == "trace")
        #expect(c.maxBodyBytes == 1024)
        #expect(c.maxAttempts == 10)
        #expect(c.upstreamConnectTimeoutMillis == 100)
        #expect(c.upstreamReadTimeoutMillis == 3_600_000)
        #expect(c.breakerFailures == 1000)
        #expect(c.breakerCooldownMillis == 3_600_000)
        #expect(c.defaultMaxOutputTokens == 1)
        #expect(c.usageFlushMillis == 60_000)
        #expect(c.usageFlushRows == 100_000)
        #expect(c.clientIPMode == "full")
        #expect(c.reloadIntervalMillis == 50)
        #expect(c.shutdownGraceMillis == 600_000)
        #expect(c.threads == 256)
        #expect(c.publicURL == "https://wharf.example")
        #expect(c.secureCookies, "auto means Secure when the public URL is https")
        #expect(c.sessionIdleMinutes == 30 && c.sessionAbsoluteHours == 12)
        #expect(c.policyVersion == "2027-01")
        #expect(c.smtpHost == "mail.example" && c.smtpPort == 465 && c.smtpSecurity == "tls")
        #expect(c.smtpUsername == "u" && c.smtpPassword == "p" && c.smtpFrom == "Ops <ops@wharf.example>")
        #expect(c.smtpCAFile == "/ca.pem")
        #expect(!c.emailVerificationRequired, "explicitly off even with SMTP configured")
        #expect(c.telegramBotToken == "123:abc" && c.telegramBotName == "wharf_bot")
    }

    @Test("Console settings refuse bad values, naming the setting, and never echo a secret")
    func consoleSettingsRefuseBadValues() throws {
        for (key, value) in [
            ("public_url", "ftp://x"), ("cookie_secure", "maybe"), ("session_idle_minutes", "0"),
            ("smtp_security", "ssl"), ("smtp_port", "70000"), ("require_email_verification", "yes"),
            ("telegram_bot_name", "bad name"),
        ] {
            #expect(throws: ConfigError.self, "\(key)=\(value)") { try Self.resolve(file: [key: value]) }
        }
        do {
            _ = try Self.resolve(file: ["telegram_bot_token": "no colon secret"])
            Issue.record("a malformed bot token was accepted")
        } catch {
            #expect(!error.description.contains("no colon secret"))
        }
        var plain = WharfConfig()
        plain.smtpHost = "mail.example"
        #expect(plain.emailVerificationRequired, "auto: required once mail can be sent")
        #expect(!WharfConfig().emailVerificationRequired)
    }

    @Test("Every setting is also read from its WHARF_ environment variable")
    func environmentNames() throws {
        #expect(WharfConfig.environmentName("data_dir") == "WHARF_DATA_DIR")
        #expect(WharfConfig.environmentName("upstream_read_timeout_ms") == "WHARF_UPSTREAM_READ_TIMEOUT_MS")
        let c = try Self.resolve(environment: ["WHARF_USAGE_FLUSH_ROWS": "7", "WHARF_MASTER_KEY": "k"])
        #expect(c.usageFlushRows == 7)
        #expect(c.masterKey == "k")
    }

    @Test("An unknown key in the file is an error naming it", arguments: ["prot", "Port", "config", "WHARF_PORT"])
    func unknownFileKey(key: String) {
        #expect(throws: ConfigError.unknownKey(key)) { try Self.resolve(file: [key: "1"]) }
        #expect(ConfigError.unknownKey(key).description.contains("'\(key)'"))
    }

    @Test(
        "A bad port is refused with a message naming the setting, its flag and its variable",
        arguments: ["99999", "abc", "-1", "80.5", "", "65536", "0x50"]
    )
    func badPort(value: String) {
        let expected = ConfigError.invalid("port", value, "a whole number from 0 to 65535")
        #expect(throws: expected) { try Self.resolve(file: ["port": value]) }
        #expect(throws: expected) { try Self.resolve(environment: ["WHARF_PORT": value]) }
        #expect(throws: expected) { try Self.resolve(flags: ["port": value]) }
        let message = expected.description
        #expect(message.contains("port = '\(value)'"))
        #expect(message.contains("--port"))
        #expect(message.contains("WHARF_PORT"))
        #expect(message.contains("0 to 65535"))
    }

    @Test("A bad value set by a stronger source is refused even when a weaker source is fine")
    func strongerBadValueWins() {
        #expect(throws: ConfigError.invalid("port", "abc", "a whole number from 0 to 65535")) {
            try Self.resolve(environment: ["WHARF_PORT": "abc"], file: ["port": "80"])
        }
    }

    @Test("The message for a multi-word setting spells its flag in kebab case")
    func kebabFlag() {
        let error = ConfigError.invalid("max_attempts", "0", "a whole number from 1 to 10")
        #expect(throws: error) { try Self.resolve(file: ["max_attempts": "0"]) }
        #expect(error.description.contains("--max-attempts"))
        #expect(error.description.contains("WHARF_MAX_ATTEMPTS"))
    }

    @Test(
        "Whole-number settings are checked against their ranges",
        arguments: [
            ("max_attempts", "11"), ("max_body_bytes", "1023"), ("breaker_failures", "0"), ("usage_flush_ms", "0"),
            ("reload_interval_ms", "49"), ("shutdown_grace_ms", "600001"), ("default_max_output_tokens", "0"),
            ("upstream_connect_timeout_ms", "99"), ("usage_flush_rows", "100001"), ("breaker_cooldown_ms", "-1"),
            ("threads", "257"), ("database_timeout_ms", "99"), ("unwritten_charges_max_age_ms", "999"),
            ("upstream_max_connections_per_origin", "0"), ("unwritten_charges_max_amount", "0"),
            ("unwritten_charges_max_amount", " 5"), ("unwritten_charges_max_amount", "-1"),
        ]
    )
    func rangeChecks(key: String, value: String) {
        let error = #expect(throws: ConfigError.self) { try Self.resolve(file: [key: value]) }
        if case .invalid(let name, let raw, _) = error {
            #expect(name == key)
            #expect(raw == value)
        } else {
            Issue.record("expected an invalid-value error, got \(String(describing: error))")
        }
    }

    @Test(
        "The database URL must be a PostgreSQL URL, and an empty one means SQLite",
        arguments: [
            ("postgres://wharf:pw@db:5432/wharf", "postgres://wharf:pw@db:5432/wharf"),
            ("postgresql://db/wharf?tlsmode=disable", "postgresql://db/wharf?tlsmode=disable"),
            ("", nil),
        ] as [(String, String?)]
    )
    func databaseURL(value: String, expected: String?) throws {
        #expect(try Self.resolve(environment: ["WHARF_DATABASE_URL": value]).databaseURL == expected)
    }

    @Test(
        "A database URL that is not PostgreSQL is refused without printing it",
        arguments: ["mysql://root:secret@db/wharf", "sqlite:///tmp/x.db", "http://secret@db"]
    )
    func badDatabaseURL(value: String) {
        let expected = ConfigError.invalid("database_url", "(hidden)", "a postgres:// URL (leave unset for SQLite)")
        #expect(throws: expected) { try Self.resolve(flags: ["database_url": value]) }
        #expect(!expected.description.contains("secret"))
        #expect(expected.description.contains("database_url"))
    }

    @Test(
        "Host, data directory, log level and client IP mode refuse unusable values",
        arguments: [
            ("host", ""), ("host", "two words"), ("host", "http://x"), ("data_dir", ""), ("log_level", "verbose"),
            ("client_ip_mode", "partial"),
        ]
    )
    func badTextValues(key: String, value: String) {
        let error = #expect(throws: ConfigError.self) { try Self.resolve(flags: [key: value]) }
        if case .invalid(let name, let raw, _) = error {
            #expect(name == key)
            #expect(raw == value)
        } else {
            Issue.record("expected an invalid-value error, got \(String(describing: error))")
        }
    }

    @Test("An empty master key means the key file")
    func emptyMasterKey() throws {
        #expect(try Self.resolve(file: ["master_key": ""]).masterKey == nil)
    }

    @Test("A malformed address list names its setting")
    func badAllowlist() {
        #expect(throws: ConfigError.self) { try Self.resolve(environment: ["WHARF_ADMIN_ALLOWLIST": "10.0.0.0/33"]) }
        #expect(throws: ConfigError.self) { try Self.resolve(file: ["trusted_proxies": "proxy.local"]) }
    }
}
