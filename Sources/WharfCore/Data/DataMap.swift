/// The machine-readable data map (promise P1): every stored column, with the category of data it holds, why it is
/// kept, and which retention class governs it. A test compares this map with the live schema of a migrated database
/// and fails on any column that is stored but not declared, or declared but not stored.
public enum DataMap {
    /// Categories of data, as the privacy policy names them.
    public enum Category: String, Sendable, CaseIterable, Codable {
        /// Email, username, phone, password hash, status, registration time.
        case account
        /// API key metadata, login and session metadata.
        case access
        /// Orders and payments (never card data).
        case payment
        /// Per-request metering: time, model, tokens, latency, status, cost, channel, IP.
        case usage
        /// Contact-form and support messages, as the person wrote them.
        case support
        /// Records of consent given or withdrawn, with the notice version.
        case consent
        /// Operator configuration: channels, prices, settings (not personal data).
        case configuration
        /// Bookkeeping of the system itself (not personal data).
        case system
    }

    /// How long a column's rows are kept; the retention job enforces each class, for the days
    /// ``RetentionSchedule`` gives it.
    public enum Retention: String, Sendable, CaseIterable, Codable {
        /// The account's lifetime plus the erasure grace period (30 days by default).
        case accountLifetime = "account_lifetime"
        /// Usage records: 90 days by default.
        case usage
        /// Payment and ledger records and usage rollups: 5 years by default, pseudonymised after erasure.
        case payment
        /// Security and sign-in records: 6 months by default.
        case securityLog = "security"
        /// Support tickets and contact messages: a year after their last message by default.
        case support
        /// The audit log: 3 years by default.
        case audit
        /// Kept while the operator keeps the configuration.
        case configuration
        /// Short-lived operational state, overwritten in place.
        case operational
    }

    /// One declared column.
    public struct Column: Sendable, Hashable, Codable {
        public var name: String
        public var category: Category
        public var purpose: String
        public var retention: Retention
        /// True when the column holds personal data (directly or as a pseudonymous link to a person).
        public var personal: Bool
    }

    /// One declared table.
    public struct Table: Sendable, Hashable, Codable {
        public var name: String
        public var columns: [Column]
    }

    static func table(_ name: String, _ category: Category, _ retention: Retention, _ columns: [(String, Bool, String)])
        -> Table
    {
        Table(
            name: name,
            columns: columns.map {
                Column(name: $0.0, category: category, purpose: $0.2, retention: retention, personal: $0.1)
            })
    }

    /// Every table Wharf stores.
    public static let tables: [Table] = [
        table(
            "users", .account, .accountLifetime,
            [
                ("id", true, "identifies the account"),
                ("email", true, "sign-in, notices and receipts"),
                ("email_normalized", true, "case-insensitive uniqueness of the email"),
                ("username", true, "display name chosen by the user"),
                ("username_normalized", true, "case-insensitive uniqueness of the username"),
                ("phone", true, "optional contact number given by the user"),
                ("password_hash", true, "bcrypt hash to verify the password"),
                ("role", false, "what the account may do"),
                ("status", false, "whether the account may sign in"),
                ("created_at", true, "registration time"),
                ("updated_at", false, "last change of the account"),
                ("deleted_at", false, "start of the erasure grace period"),
                ("email_verified_at", false, "when the email address was confirmed"),
                ("age_confirmed_at", false, "when the user confirmed the minimum age at sign-up (P13)"),
                ("policy_version", false, "privacy policy and terms version accepted"),
                ("policy_accepted_at", false, "when that version was accepted"),
                ("language", false, "preferred language of pages and email"),
                ("failed_logins", false, "consecutive failed sign-ins, for lockout"),
                ("locked_until", false, "end of a sign-in lockout"),
                ("last_login_at", true, "last successful sign-in (access metadata)"),
                ("notify_login", false, "whether to email an alert on a new sign-in"),
                ("totp_secret_ciphertext", true, "two-factor sign-in secret, AES-GCM encrypted"),
                ("totp_enabled_at", false, "when two-factor sign-in was turned on"),
                ("totp_last_step", false, "last accepted code's time step, so no code works twice"),
                ("telegram_id", true, "linked Telegram account, for Telegram sign-in"),
                ("pending_email", true, "a new email address waiting for confirmation"),
                ("transfer_regions", false, "regions the account's requests may be processed in (default of its keys)"),
                ("zero_retention", false, "whether the account's requests may only reach providers that keep nothing"),
                ("no_training", false, "whether the account's requests may only reach providers that do not train"),
            ]),
        table(
            "backup_codes", .access, .accountLifetime,
            [
                ("id", false, "SHA-256 of a two-factor backup code"),
                ("user_id", true, "whose code"),
                ("created_at", false, "when issued"),
                ("used_at", false, "when used (each works once)"),
            ]),
        table(
            "seen_login_proofs", .system, .operational,
            [
                ("id", false, "SHA-256 of a Telegram login proof, so each is accepted once"),
                ("created_at", false, "when seen (kept a day)"),
            ]),
        table(
            "wallets", .payment, .payment,
            [
                ("user_id", true, "whose balance"),
                ("balance", false, "prepaid credit in micro-units"),
                ("currency", false, "currency of the balance"),
                ("updated_at", false, "last balance change"),
            ]),
        table(
            "ledger_entries", .payment, .payment,
            [
                ("id", false, "identifies the entry"),
                ("user_id", true, "whose balance changed"),
                ("kind", false, "grant, top-up, redeem, hold, settle, release, refund, chargeback or adjustment"),
                ("amount", false, "signed change in micro-units"),
                (
                    "reference", false,
                    "the hold or order the entry belongs to, or the API key whose requests it charges"
                ),
                ("reason", false, "operator's reason for a grant or adjustment"),
                ("created_at", false, "when the balance changed"),
                (
                    "source_key", false,
                    "what credited or debited it exactly once (an order, a refund, a dispute, a redeemed code)"
                ),
            ]),
        table(
            "payment_gateways", .configuration, .configuration,
            [
                ("id", false, "identifies the gateway instance (and its callback address)"),
                ("name", false, "the operator's name for it"),
                ("kind", false, "epay, hupijiao, stripe or epusdt"),
                ("gateway_url", false, "where the gateway is"),
                ("merchant_id", false, "the operator's merchant id at the gateway"),
                ("key_ciphertext", false, "merchant key or API key, sealed with the master key"),
                ("webhook_secret_ciphertext", false, "webhook signing secret, sealed with the master key"),
                ("currency", false, "currency the gateway charges in"),
                ("credit_per_unit", false, "credit (micro-units) bought by one unit of that currency"),
                ("methods", false, "payment methods offered"),
                ("min_amount", false, "smallest top-up, in minor units"),
                ("max_amount", false, "largest top-up, in minor units"),
                ("enabled", false, "whether users may pay through it"),
                ("created_at", false, "when added"),
                ("updated_at", false, "last change"),
            ]),
        table(
            "payment_orders", .payment, .payment,
            [
                ("id", false, "the order number (unguessable)"),
                ("user_id", true, "who is topping up"),
                ("gateway_id", false, "the gateway instance that takes the payment"),
                ("method", false, "alipay, wxpay, card, usdt..."),
                ("currency", false, "currency of the amount"),
                ("amount", false, "amount charged, in minor units"),
                ("credit", false, "credit the amount buys, fixed when the order is made"),
                ("status", false, "pending, paid, expired, failed, refunded, partially_refunded or disputed"),
                ("provider_ref", false, "the gateway's id for the payment attempt (checkout session, trade id)"),
                ("trade_no", false, "the gateway's trade number once paid"),
                ("transaction_ref", false, "the payment network's transaction id (on-chain hash, wallet trade id)"),
                ("payment_intent", false, "Stripe's payment intent, to match refunds and disputes"),
                ("late", false, "paid after the order had expired"),
                ("review", false, "why the gateway's state and Wharf's disagree, for an admin to look at"),
                ("refunded_amount", false, "amount refunded so far, in minor units"),
                ("refunded_credit", false, "credit taken back for refunds so far"),
                ("disputed_credit", false, "credit held back for an open dispute"),
                ("created_at", false, "when ordered"),
                ("updated_at", false, "last change"),
                ("paid_at", false, "when paid"),
                ("expires_at", false, "when an unpaid order closes"),
                ("next_poll_at", false, "when the gateway is next asked about an unpaid order"),
                ("polls", false, "how often the gateway was asked"),
                ("checked_at", false, "when the gateway last confirmed a paid order as paid (reconciliation)"),
            ]),
        table(
            "payment_events", .payment, .payment,
            [
                ("id", false, "identifies the event"),
                ("received_at", false, "when it arrived"),
                ("gateway_id", false, "the gateway instance it was addressed to"),
                ("order_id", false, "the order it named"),
                ("source", false, "callback, return page, poll or admin"),
                ("client_ip", true, "address it came from (the gateway's server, or the browser for a return page)"),
                ("outcome", false, "credited, already settled, refused and why"),
                ("detail", false, "what was checked (never a secret or the payer's data)"),
            ]),
        table(
            "payment_adjustments", .payment, .payment,
            [
                ("id", false, "identifies the refund or dispute step"),
                ("order_id", false, "the order it concerns"),
                ("kind", false, "refund, dispute or dispute_won"),
                ("external_ref", false, "the gateway's refund or dispute id, so a replay changes nothing"),
                ("amount", false, "money moved, in minor units"),
                ("credit", false, "credit taken back (or restored)"),
                ("actor_id", true, "admin who acted, when one did"),
                ("reason", false, "the admin's reason"),
                ("created_at", false, "when"),
            ]),
        table(
            "redemption_codes", .payment, .payment,
            [
                ("id", false, "identifies the code"),
                ("batch_id", false, "the batch it was made in"),
                ("code_hash", false, "keyed hash of the code (the code itself is never stored)"),
                ("hint", false, "last four characters, to tell codes apart"),
                ("credit", false, "credit it gives"),
                ("status", false, "enabled, redeemed or disabled"),
                ("expires_at", false, "when it stops working"),
                ("created_by", true, "admin who made it"),
                ("created_at", false, "when made"),
                ("redeemed_by", true, "account that redeemed it"),
                ("redeemed_at", false, "when redeemed"),
            ]),
        table(
            "holds", .payment, .payment,
            [
                ("id", false, "identifies the hold"),
                ("user_id", true, "whose money is reserved"),
                ("amount", false, "reserved micro-units"),
                ("status", false, "open, settled or released"),
                ("created_at", false, "when it was reserved"),
                ("closed_at", false, "when it was settled or released"),
            ]),
        table(
            "api_keys", .access, .accountLifetime,
            [
                ("id", false, "identifies the key"),
                ("user_id", true, "owner of the key"),
                ("name", false, "label chosen by the owner"),
                ("key_hash", false, "SHA-256 of the secret, to recognise it"),
                ("display_prefix", false, "first characters, to tell keys apart"),
                ("status", false, "active or revoked"),
                ("expires_at", false, "when the key stops working"),
                ("allowed_models", false, "models the key may call"),
                ("allowed_ips", false, "client networks the key may be used from"),
                ("spend_limit", false, "maximum spend of the key"),
                ("rate_limit_rpm", false, "requests per minute the key may make"),
                ("spent", false, "spend so far"),
                ("created_at", false, "when the key was made"),
                ("last_used_at", false, "last request with the key"),
                ("revoked_at", false, "when the key was revoked"),
                ("changed_version", false, "which key change it was last (servers load only changed keys)"),
                ("transfer_regions", false, "regions the key's requests may be processed in"),
                ("zero_retention", false, "whether the key's requests may only reach providers that keep nothing"),
                ("no_training", false, "whether the key's requests may only reach providers that do not train"),
            ]),
        table(
            "channels", .configuration, .configuration,
            [
                ("id", false, "identifies the upstream channel"),
                ("name", false, "operator's label"),
                ("provider", false, "protocol of the upstream"),
                ("base_url", false, "where requests are sent"),
                ("api_key_ciphertext", false, "upstream credential, AES-GCM encrypted"),
                ("models", false, "models served"),
                ("model_mapping", false, "public to upstream model names"),
                ("priority", false, "routing tier"),
                ("weight", false, "share inside the tier"),
                ("region", false, "where the provider processes data (privacy page)"),
                ("data_policy", false, "whether the provider retains or trains on data (privacy page)"),
                ("capabilities", false, "endpoints supported"),
                ("status", false, "enabled or disabled"),
                ("created_at", false, "when added"),
                ("updated_at", false, "last change"),
            ]),
        table(
            "model_prices", .configuration, .configuration,
            [
                ("model", false, "priced model"),
                ("input_per_million", false, "price of prompt tokens"),
                ("output_per_million", false, "price of completion tokens"),
                ("cached_input_per_million", false, "price of prompt tokens read from a prompt cache"),
                ("cache_write_per_million", false, "price of prompt tokens written to a prompt cache"),
                ("updated_at", false, "last change"),
            ]),
        table(
            "usage_records", .usage, .usage,
            [
                ("id", false, "identifies the request"),
                ("created_at", false, "time of the request"),
                ("user_id", true, "who made the request"),
                ("key_id", true, "which key was used"),
                ("model", false, "model called"),
                ("channel_id", false, "upstream that served it"),
                ("endpoint", false, "API endpoint called"),
                ("prompt_tokens", false, "metering"),
                ("completion_tokens", false, "metering"),
                ("cached_tokens", false, "metering"),
                ("cache_write_tokens", false, "metering"),
                ("reasoning_tokens", false, "metering"),
                ("cost", false, "amount charged in micro-units"),
                ("latency_ms", false, "service quality"),
                ("ttft_ms", false, "service quality (time to first token)"),
                ("status", false, "outcome of the request"),
                ("stream", false, "whether the response was streamed"),
                ("client_ip", true, "abuse prevention (truncated as configured)"),
                ("ledger_entry_id", false, "the ledger entry that charged it"),
                ("region", false, "region of the upstream that served it"),
            ]),
        table(
            "usage_daily", .usage, .payment,
            [
                ("user_id", true, "whose requests (kept with the ledger, so totals survive usage retention)"),
                ("key_id", true, "which key"),
                ("model", false, "model called"),
                ("day", false, "UTC day (days since 1970-01-01)"),
                ("requests", false, "requests that day"),
                ("prompt_tokens", false, "metering"),
                ("completion_tokens", false, "metering"),
                ("cached_tokens", false, "metering"),
                ("cache_write_tokens", false, "metering"),
                ("reasoning_tokens", false, "metering"),
                ("cost", false, "amount charged in micro-units"),
            ]),
        table(
            "channel_health", .system, .operational,
            [
                ("channel_id", false, "which channel"),
                ("state", false, "circuit breaker state"),
                ("requests", false, "recent request count"),
                ("failures", false, "recent failure count"),
                ("latency_ms", false, "recent mean latency"),
                ("updated_at", false, "when measured"),
            ]),
        table(
            "config_version", .system, .operational,
            [
                ("id", false, "single row"),
                ("version", false, "bumped on every configuration change so servers reload"),
            ]),
        table(
            "settings", .configuration, .configuration,
            [
                ("name", false, "setting name"),
                ("value", false, "setting value (never a plaintext secret)"),
                ("updated_at", false, "last change"),
            ]),
        table(
            "persist", .access, .securityLog,
            [
                (
                    "key", false,
                    "what the entry is: a console session (by SHA-256 of its cookie) or other short-lived state"
                ),
                (
                    "value", true,
                    "the entry; for a session: account id, sign-in and last-request times, absolute end, browser and "
                        + "system, network address (truncated as configured)"
                ),
                ("owner", true, "the account the entry belongs to, so its sessions can be listed and ended"),
                ("expires_at", false, "when the entry ends (a session's idle timeout)"),
            ]),
        table(
            "one_time_tokens", .access, .operational,
            [
                ("id", false, "SHA-256 of an emailed link's token"),
                ("user_id", true, "whose confirmation or reset"),
                ("purpose", false, "email confirmation or password reset"),
                ("created_at", false, "when sent"),
                ("expires_at", false, "when the link stops working"),
                ("used_at", false, "when it was used (single use)"),
                ("bound_to", true, "the new address an email-change link was mailed to"),
            ]),
        table(
            "email_outbox", .account, .operational,
            [
                ("id", false, "identifies the message"),
                ("user_id", true, "the recipient's account, if any"),
                ("kind", false, "which notice (confirmation, reset, alert, reply)"),
                ("recipient_ciphertext", true, "recipient address, AES-GCM encrypted, erased once sent"),
                ("message_ciphertext", true, "the message, AES-GCM encrypted, erased once sent"),
                ("status", false, "pending, sent or failed"),
                ("attempts", false, "delivery attempts"),
                ("next_attempt_at", false, "when to retry"),
                ("last_error", false, "reduced SMTP error (code and class only)"),
                ("created_at", false, "when queued"),
                ("sent_at", false, "when delivered to the relay"),
            ]),
        table(
            "support_messages", .support, .support,
            [
                ("id", false, "identifies the message"),
                ("user_id", true, "the sender's account, if signed in"),
                ("email", true, "where to reply"),
                ("subject", true, "what the message is about, as written"),
                ("body", true, "the message, as written"),
                ("status", false, "open or closed"),
                ("created_at", false, "when received"),
            ]),
        table(
            "support_replies", .support, .support,
            [
                ("id", false, "identifies the reply"),
                ("message_id", false, "the message answered"),
                ("actor_id", true, "who wrote it: the staff account that answered, or the ticket's owner"),
                ("body", true, "the reply, as written (a staff answer is also sent by email)"),
                ("created_at", false, "when it was sent"),
            ]),
        table(
            "audit_log", .system, .audit,
            [
                ("seq", false, "position in the hash chain"),
                ("created_at", false, "when the action happened"),
                ("actor_id", true, "account id of who acted (pseudonymous, no direct PII)"),
                ("action", false, "what was done"),
                ("target", true, "id of what it was done to (pseudonymous)"),
                ("detail", false, "non-personal details, such as the new role"),
                ("prev_hash", false, "hash of the previous row"),
                ("hash", false, "SHA-256 over this row and the previous hash"),
            ]),
        table(
            "consents", .consent, .accountLifetime,
            [
                ("id", false, "identifies the record"),
                ("user_id", true, "whose choice, when signed in"),
                ("functional", false, "functional cookies (language) allowed"),
                ("analytics", false, "analytics allowed"),
                ("notice_version", false, "cookie notice version the choice was made under"),
                ("created_at", false, "when the choice was made"),
            ]),
        table(
            "schema_migrations", .system, .configuration,
            [
                ("version", false, "applied migration"),
                ("name", false, "what it did"),
                ("applied_at", false, "when"),
            ]),
    ]
}
