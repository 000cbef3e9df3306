/// A mailbox: an address such as `ops@example.com` with an optional display name.
///
/// The address is restricted to the dot-atom form of RFC 5322 (ASCII letters, digits and
/// ``!#$%&'*+-/=?^_`{|}~.`` in the local part, letters, digits, `-` and `.` in the domain), so it can be
/// written into `MAIL FROM:<...>`, `RCPT TO:<...>` and a header without quoting. Quoted local parts,
/// address literals and internationalized (SMTPUTF8) addresses are not supported.
public struct MailAddress: Sendable, Hashable, CustomStringConvertible {
    /// The bare address, `local@domain`.
    public let address: String
    /// The human name shown by mail readers, if any. Never contains CR, LF or other control characters.
    public let displayName: String?

    /// Validates and creates a mailbox.
    /// - Throws: ``MailError/invalidAddress(reason:)`` when the address is not one `local@domain` of allowed
    ///   characters, or the display name holds a control character (CR/LF would allow header injection).
    public init(_ address: String, displayName: String? = nil) throws(MailError) {
        try Self.validate(address: address)
        if let displayName {
            guard !displayName.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw .invalidAddress(reason: "display name contains a control character")
            }
        }
        self.address = address
        self.displayName = displayName.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The part after the `@`.
    public var domain: String {
        String(address[address.index(after: address.lastIndex(of: "@") ?? address.startIndex)...])
    }

    /// The address as text, `Name <local@domain>` or `local@domain`.
    public var description: String {
        if let displayName { "\(displayName) <\(address)>" } else { address }
    }

    private static let localPartSymbols = Set("!#$%&'*+-/=?^_`{|}~.".utf8)

    private static func validate(address: String) throws(MailError) {
        let bytes = Array(address.utf8)
        guard bytes.count <= 254 else { throw .invalidAddress(reason: "address is longer than 254 bytes") }
        let atSigns = bytes.indices.filter { bytes[$0] == UInt8(ascii: "@") }
        guard atSigns.count == 1, let at = atSigns.first else {
            throw .invalidAddress(reason: "address must contain exactly one @")
        }
        let local = bytes[..<at]
        let domain = bytes[(at + 1)...]
        guard !local.isEmpty, local.count <= 64 else {
            throw .invalidAddress(reason: "local part is empty or too long")
        }
        guard !domain.isEmpty else { throw .invalidAddress(reason: "domain is empty") }
        for byte in local where !(isAlphanumeric(byte) || localPartSymbols.contains(byte)) {
            throw .invalidAddress(reason: "local part contains a character outside the allowed set")
        }
        for byte in domain where !(isAlphanumeric(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")) {
            throw .invalidAddress(reason: "domain contains a character outside letters, digits, '-' and '.'")
        }
        guard local.first != UInt8(ascii: "."), local.last != UInt8(ascii: "."),
            domain.first != UInt8(ascii: "."), domain.last != UInt8(ascii: ".")
        else { throw .invalidAddress(reason: "address parts may not start or end with a dot") }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
