import Foundation
import Logging
import Synchronization

/// Writes one JSON object per log line to standard output: time, level, label, message and metadata.
///
/// Nothing that reaches a logger may hold content (prompts, outputs, upstream error bodies): callers log types,
/// counts and ids only.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String
    static let lock = Mutex(())

    /// Creates a handler for `label`.
    public init(label: String) { self.label = label }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [String: String] = [:]
        for (k, v) in metadata { fields[k] = "\(v)" }
        for (k, v) in event.metadata ?? [:] { fields[k] = "\(v)" }
        var object: [String: Any] = [
            "ts": ISO8601DateFormatter().string(from: Date()), "level": "\(event.level)", "label": label,
            "msg": "\(event.message)",
        ]
        if !fields.isEmpty { object["meta"] = fields }
        guard var data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        data.append(0x0A)
        Self.lock.withLock { _ in FileHandle.standardOutput.write(data) }
    }
}
