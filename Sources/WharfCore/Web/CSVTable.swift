import Foundation

/// Writes CSV (RFC 4180) that spreadsheets open safely: every field quoted when needed, and a field that starts
/// with `=`, `+`, `-`, `@`, tab or carriage return prefixed with `'` so a spreadsheet does not run it as a formula.
public enum CSVTable {
    /// One CSV line (ending in CRLF) for `fields`.
    public static func line(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\r\n"
    }

    static func field(_ raw: String) -> String {
        var value = raw
        if let first = value.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first),
            Int64(value) == nil, !isDecimal(value)
        {
            value = "'" + value
        }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Negative amounts such as `-1.500000` are numbers, not formulas.
    static func isDecimal(_ value: String) -> Bool {
        var body = Substring(value)
        if body.first == "-" { body = body.dropFirst() }
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        return (1...2).contains(parts.count)
            && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }
    }
}
