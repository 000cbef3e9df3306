/// The fail-closed rule for configured secrets.
enum SecretCheck {
    /// Throws ``PaymentRejection/missingSecret`` when `secret` is empty or only whitespace: an HMAC or an MD5 "key"
    /// that is empty can be computed by anyone.
    static func require(_ secret: String) throws(PaymentRejection) {
        guard secret.unicodeScalars.contains(where: { !$0.properties.isWhitespace }) else { throw .missingSecret }
    }
}
