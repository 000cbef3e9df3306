import Foundation
import Logging

/// Where the master keys come from: `WHARF_MASTER_KEY` (base64 or hex of 32 bytes; several separated by commas,
/// primary first), or else a file `master.key` in the data directory, generated with mode 0600 at first start.
public enum MasterKeyFile {
    /// Parses a configured master key list.
    public static func parse(_ text: String) throws(SecretBoxError) -> [[UInt8]] {
        var keys: [[UInt8]] = []
        for item in text.split(whereSeparator: { $0 == "," || $0 == "\n" }) {
            let s = item.trimmingCharacters(in: .whitespacesAndNewlines)
            if s.isEmpty || s.hasPrefix("#") { continue }
            if s.count == 64, let hex = hexBytes(s) {
                keys.append(hex)
            } else if let data = Data(base64Encoded: s) {
                guard data.count == 32 else { throw .badKeyLength(data.count) }
                keys.append(Array(data))
            } else {
                throw .malformed
            }
        }
        guard !keys.isEmpty else { throw .noKey }
        return keys
    }

    /// Reads `dataDir/master.key`, creating it (0600, one fresh random key) when missing; logs a warning on
    /// creation because losing this file loses every encrypted secret.
    public static func loadOrCreate(dataDir: String, logger: Logger) throws -> [[UInt8]] {
        let path = (dataDir as NSString).appendingPathComponent("master.key")
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            return try parse(text)
        }
        var rng = SystemRandomNumberGenerator()
        let key = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let text = Data(key).base64EncodedString() + "\n"
        let created = FileManager.default.createFile(
            atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        guard created else { throw MasterKeyFileError.cannotWrite(path) }
        logger.warning(
            "generated a new master key; back it up, or set WHARF_MASTER_KEY",
            metadata: ["path": .string(path)])
        return [key]
    }

    static func hexBytes(_ s: String) -> [UInt8]? {
        var out: [UInt8] = []
        var it = s.makeIterator()
        while let a = it.next(), let b = it.next() {
            guard let v = UInt8(String([a, b]), radix: 16) else { return nil }
            out.append(v)
        }
        return out.count == 32 ? out : nil
    }
}

/// Why the master key file cannot be used.
public enum MasterKeyFileError: Error, CustomStringConvertible {
    case cannotWrite(String)
    public var description: String {
        switch self {
        case .cannotWrite(let p): "cannot create the master key file \(p)"
        }
    }
}
