/// Settings the operator changes on the admin settings page (kept in the `settings` table, so every node sees
/// them).
enum SiteSettings {
    /// `closed` when sign-up is closed; open otherwise.
    static let registration = "registration"
    /// An announcement shown at the top of every page.
    static let siteNotice = "site_notice"
}
