import WharfCore

/// Reads the members of a JSON object as raw byte slices (a thin layer over ``JSONObjectScanner``).
enum JSONObjectScannerShim {
    static func members(_ bytes: [UInt8]) throws -> [String: [UInt8]] {
        let scanner = try JSONObjectScanner(bytes)
        var out: [String: [UInt8]] = [:]
        for m in scanner.members { out[m.key] = Array(bytes[m.valueRange]) }
        return out
    }

    static func string(_ raw: [UInt8]) -> String? {
        guard raw.first == UInt8(ascii: "\"") else { return nil }
        return try? JSONObjectScanner.decodeString(raw[...])
    }
}
