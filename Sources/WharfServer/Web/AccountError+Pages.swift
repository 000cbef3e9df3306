extension AccountError {
    /// The translation key pages show for this error.
    var messageKey: String {
        switch self {
        case .invalidEmail: "err_email_invalid"
        case .weakPassword: "err_password_weak"
        case .personalPassword: "err_password_personal"
        }
    }
}
