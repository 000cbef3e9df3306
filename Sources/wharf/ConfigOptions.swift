import ArgumentParser
import Foundation
import Logging
import WharfCore
import WharfServer
import Yams

/// The configuration flags every command accepts (each also a `WHARF_*` variable or a `wharf.yaml` key).
struct ConfigOptions: ParsableArguments {
    @Option(help: "Directory for the SQLite database and the master key (default ./wharf-data).")
    var dataDir: String?
    @Option(help: "PostgreSQL URL (postgres://...); SQLite in the data directory when unset.")
    var databaseURL: String?
    @Option(help: "Configuration file (default ./wharf.yaml when it exists).")
    var config: String?

    /// Reads flags, environment and file into a ``WharfConfig``; extra flags come from the command.
    func load(extraFlags: [String: String] = [:]) throws(ConfigError) -> WharfConfig {
        let environment = ProcessInfo.processInfo.environment
        var flags = extraFlags
        if let dataDir { flags["data_dir"] = dataDir }
        if let databaseURL { flags["database_url"] = databaseURL }
        let path = config ?? environment["WHARF_CONFIG"]
        var file: [String: String] = [:]
        if let path {
            file = try Self.readFile(path)
        } else if FileManager.default.fileExists(atPath: "wharf.yaml") {
            file = try Self.readFile("wharf.yaml")
        }
        return try WharfConfig.resolve(flags: flags, environment: environment, file: file)
    }

    /// A flat YAML mapping of setting names to scalars.
    static func readFile(_ path: String) throws(ConfigError) -> [String: String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw .unreadableFile(path, "no such readable file")
        }
        let parsed: Any?
        do { parsed = try Yams.load(yaml: text) } catch { throw .unreadableFile(path, "not valid YAML") }
        guard let parsed else { return [:] }
        guard let map = parsed as? [String: Any] else { throw .unreadableFile(path, "expected a mapping of settings") }
        var out: [String: String] = [:]
        for (key, value) in map {
            switch value {
            case let s as String: out[key] = s
            case let i as Int: out[key] = String(i)
            case let b as Bool: out[key] = String(b)
            case let d as Double: out[key] = String(d)
            default: throw .unreadableFile(path, "setting '\(key)' must be a single value")
            }
        }
        return out
    }
}

/// Runs an operator command: opens the runtime, runs `body`, closes. Configuration problems print one line and
/// exit 2; other failures print one line and exit 1. Logs go to standard error so stdout carries only results.
func operatorTask(_ options: ConfigOptions, _ body: (WharfRuntime) async throws -> Void) async throws {
    LoggingSetup.bootstrapOnce(json: false, level: .warning)
    let runtime: WharfRuntime
    do {
        let config = try options.load()
        runtime = try await WharfRuntime.open(config: config, logger: Logger(label: "wharf"))
    } catch {
        printError(error.description)
        throw ExitCode(2)
    }
    do {
        try await body(runtime)
        await runtime.close()
    } catch let exit as ExitCode {
        await runtime.close()
        throw exit
    } catch {
        await runtime.close()
        printError("\(error)")
        throw ExitCode(1)
    }
}

/// Prints `error: message` on standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
}

/// A user-facing failure of a command (one line, exit 1).
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

enum LoggingSetup {
    nonisolated(unsafe) static var done = false

    static func bootstrapOnce(json: Bool, level: Logger.Level) {
        guard !done else { return }
        done = true
        LoggingSystem.bootstrap { label in
            if json {
                var h = JSONLogHandler(label: label)
                h.logLevel = level
                return h
            }
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
    }
}
