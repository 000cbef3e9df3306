import Foundation
import SQLKit
import Testing
import WharfCore
import WharfStorage

/// Fills one row of every table tied to a person with a distinct value in every declared column, generically from
/// the data map and the live schema: a column added to both is seeded (and so checked) without touching this file.
struct SubjectSeed {
    /// Table → column → the value written.
    var written: [String: [String: ExportValue]] = [:]

    static func seed(_ store: WharfStore, userID: String) async throws -> SubjectSeed {
        var seed = SubjectSeed()
        var ids: [String: String] = ["users": userID]
        // Tables that a linked row refers to without being about the person (a payment order's gateway).
        let referenced = ["payment_gateways"]
        for table in DataMap.tables where DataMap.subjectLinks[table.name] != nil || referenced.contains(table.name) {
            let types = try await store.columnTypes(table: table.name)
            let links = DataMap.subjectLinks[table.name] ?? []
            var row: [String: ExportValue] = [:]
            for (index, column) in table.columns.enumerated() {
                var value: ExportValue =
                    types[column.name] == .integer
                    ? .integer(Int64(index) * 1_000_000 + Int64.random(in: 2...999_999))
                    : .text("\(table.name).\(column.name).\(UUID().uuidString.prefix(8))")
                for link in links {
                    switch link {
                    case .column(let c) where c == column.name: value = .text(userID)
                    case .parent(let c, let parent, _) where c == column.name: value = .text(ids[parent] ?? "")
                    case .email, .parentByEmail: break
                    default: break
                    }
                }
                if column.name == "gateway_id" { value = .text(ids["payment_gateways"] ?? "") }
                row[column.name] = value
            }
            if table.name == "users" { row["id"] = .text(userID) }
            if case .text(let id) = row["id"] ?? .null { ids[table.name] = id }
            if table.name == "users" {
                // The account exists already (wallet and ledger rows point at it): overwrite its columns instead.
                let values = row
                try await store.database.withConnection { db in
                    for (column, value) in values where column != "id" {
                        try await db.raw(
                            "UPDATE users SET \(ident: column) = \(Self.bind(value)) WHERE id = \(bind: userID)"
                        ).run()
                    }
                }
            } else {
                if table.name == "wallets" {
                    try await store.database.withConnection { db in
                        try await db.raw("DELETE FROM wallets WHERE user_id = \(bind: userID)").run()
                    }
                }
                let names = table.columns.map(\.name)
                let values = SQLList(names.map { Self.bindExpression(row[$0] ?? .null) })
                let columns = SQLList(names.map { SQLIdentifier($0) })
                let name = table.name
                try await store.database.withConnection { db in
                    try await db.raw("INSERT INTO \(ident: name) (\(columns)) VALUES (\(values))").run()
                }
            }
            if DataMap.subjectLinks[table.name] != nil { seed.written[table.name] = row }
        }
        return seed
    }

    static func bind(_ value: ExportValue) -> SQLQueryString {
        switch value {
        case .null: "NULL"
        case .integer(let v): "\(bind: v)"
        case .text(let v): "\(bind: v)"
        }
    }

    static func bindExpression(_ value: ExportValue) -> any SQLExpression {
        switch value {
        case .null: SQLLiteral.null
        case .integer(let v): SQLBind(v)
        case .text(let v): SQLBind(v)
        }
    }
}

@Suite("Export and erasure of a person's data")
struct ExportErasureTests {
    @Test("Every table with personal data says how its rows are tied to a person")
    func everyPersonalTableIsLinked() {
        for table in DataMap.tables where table.columns.contains(where: \.personal) {
            #expect(DataMap.subjectLinks[table.name] != nil, "\(table.name) has personal columns but no subject link")
        }
        for key in DataMap.withheldFromExport.keys {
            let parts = key.split(separator: ".").map(String.init)
            #expect(
                DataMap.table(named: parts[0])?.columns.contains { $0.name == parts[1] } == true,
                "withheld \(key) is not a declared column")
        }
    }

    @Test(
        "An export holds every declared column of every table where the person has data, except the withheld",
        arguments: Backend.available)
    func exportIsComplete(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let user = try await t.store.makeUser("export@example.com", balance: Money(micros: 1_000))
            let other = try await t.store.makeUser("other@example.com", balance: Money(micros: 1_000))
            let seed = try await SubjectSeed.seed(t.store, userID: user.id)
            _ = try await SubjectSeed.seed(t.store, userID: other.id)
            let tables = try await t.store.exportSubject(userID: user.id)
            let byName = Dictionary(uniqueKeysWithValues: tables.map { ($0.table, $0) })
            for (table, row) in seed.written {
                guard let exported = byName[table] else {
                    Issue.record("\(table) has data about the person but is missing from the export")
                    continue
                }
                for (column, value) in row {
                    let withheld = DataMap.withheldFromExport["\(table).\(column)"] != nil
                    let found = exported.rows.contains { $0[column] == value }
                    if withheld {
                        #expect(exported.rows.allSatisfy { $0[column] == nil }, "\(table).\(column) is withheld")
                    } else {
                        #expect(found, "\(table).\(column) is missing from the export")
                    }
                }
                // Nothing of the other person.
                for r in exported.rows {
                    #expect(!r.values.contains(.text(other.id)), "\(table) exported another person's row")
                }
            }
            let json = try SubjectExportDocument(userID: user.id, exportedAtMillis: 0, tables: tables).json()
            let decoded = try JSONDecoder().decode(SubjectExportDocument.self, from: json)
            #expect(decoded.tables.count == tables.count)
            #expect(decoded.categories.contains("consent"))
        }
    }

    @Test("Erasure removes the person and keeps the money under a pseudonymous id", arguments: Backend.available)
    func erasure(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let store = t.store
            let user = try await store.makeUser("Erase.Me@Example.com", balance: Money(micros: 5_000_000))
            let (key, _) = try await store.createKey(userID: user.id, name: "k")
            var record = UsageRecord.forTest(userID: user.id, keyID: key.id, cost: 1_000, createdAt: 5)
            record.clientIP = "203.0.113.0"
            try await store.writeUsage([record])
            _ = try await store.createSupportMessage(
                userID: nil, email: "erase.me@example.com", subject: "s", body: "b")
            let before = try await store.exportSubject(userID: user.id)
            #expect(
                before.first { $0.table == "support_messages" }?.rows.count == 1,
                "a message sent before signing in, from the account's address, is part of the export")
            try await store.audit(actorID: user.id, action: "account.login", target: user.id)
            let balance = try await store.balance(userID: user.id)

            let report = try await store.eraseAccount(userID: user.id)
            #expect(report.keysRevoked == 1)
            #expect(report.supportMessagesRemoved == 1)
            #expect(try await store.user(email: "erase.me@example.com") == nil)
            let erased = try #require(try await store.user(id: user.id))
            #expect(erased.status == .erased)
            #expect(!erased.email.lowercased().contains("erase.me"))
            #expect(try await store.keys(userID: user.id).allSatisfy { $0.status == .revoked })
            #expect(try await store.usageRecords(userID: user.id).first?.clientIP == nil)
            // The money stays, pseudonymous, and checks out.
            #expect(try await store.balance(userID: user.id) == balance)
            #expect(try await store.verifyLedger().isEmpty)
            #expect(try await store.verifyAudit().ok)
            // On SQLite the bytes leave the disk: database, WAL and shared-memory files.
            if let path = t.sqlitePath {
                for suffix in ["", "-wal", "-shm"] {
                    guard let bytes = FileManager.default.contents(atPath: path + suffix) else { continue }
                    let text = String(decoding: bytes, as: UTF8.self).lowercased()
                    #expect(!text.contains("erase.me@example.com"), "found in wharf.sqlite\(suffix)")
                }
            }
            // The email may sign up again.
            _ = try await store.makeUser("erase.me@example.com")
            // Nothing in the export of the erased account names the person.
            let exported = try SubjectExportDocument(
                userID: user.id, exportedAtMillis: 0, tables: try await store.exportSubject(userID: user.id)
            ).json()
            #expect(!String(decoding: exported, as: UTF8.self).lowercased().contains("erase.me"))
            await #expect(throws: StoreError.self) { _ = try await store.eraseAccount(userID: user.id) }
            await #expect(throws: StoreError.self, "an erased account never becomes active again") {
                try await store.setStatus(userID: user.id, status: .active)
            }
            // A request served just after the erasure keeps no address either.
            var late = UsageRecord.forTest(userID: user.id, keyID: key.id, cost: 1, createdAt: 6)
            late.clientIP = "198.51.100.0"
            try await store.writeUsage([late])
            #expect(try await store.usageRecords(userID: user.id).allSatisfy { $0.clientIP == nil })

        }
    }

    @Test("A frozen account keeps everything; its keys are not active keys; it unfreezes", arguments: Backend.available)
    func freeze(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let user = try await t.store.makeUser("freeze@example.com", balance: Money(micros: 1_000))
            let (key, _) = try await t.store.createKey(userID: user.id, name: "k")
            #expect(try await t.store.setFrozen(userID: user.id, true))
            #expect(try await t.store.setFrozen(userID: user.id, true) == false, "only an active account freezes")
            #expect(try await t.store.activeKeys().contains { $0.id == key.id } == false)
            #expect(try await t.store.user(id: user.id)?.status == .frozen)
            #expect(try await t.store.keys(userID: user.id).first?.status == .active, "nothing is revoked")
            #expect(try await t.store.setFrozen(userID: user.id, false))
            #expect(try await t.store.activeKeys().contains { $0.id == key.id })
        }
    }
}
