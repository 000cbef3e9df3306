import SQLKit
import Testing
import WharfCore

@testable import WharfStorage

@Suite("Batch inserts")
struct BatchInsertTests {
    @Test(
        "Rows go in as one statement: values are bound in order, nils go in as NULL and read back as nil",
        arguments: Backend.available)
    func rowsWithNulls(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let user = try await t.store.makeUser("nulls@example.com", balance: Money(micros: 0))
            let insert = BatchInsert(
                into: "ledger_entries",
                columns: ["id", "user_id", "kind", "amount", "reference", "reason", "created_at"])
            // An optional variable, as the usage writer passes them, must become NULL (not a bound optional).
            let missing: String? = nil
            let rows: [[BatchInsert.Value]] = [
                [
                    .text("led_1"), .text(user.id), .text("adjust"), .integer(9_000_000_000_005), .text(missing),
                    .text("first"),
                    .integer(1),
                ],
                [.text("led_2"), .text(user.id), .text("adjust"), .integer(-2), .text("ref"), .null, .integer(2)],
            ]
            try await t.database.withConnection { db in
                let (sql, binds) = insert.statement(rows, db: db)
                // Twelve values bound, two NULLs written into the text, numbered placeholders in order.
                #expect(binds.count == 12)
                #expect(sql.components(separatedBy: "NULL").count == 3)
                #expect(sql.hasSuffix(backend == .sqlite ? "?11, NULL, ?12)" : "$11, NULL, $12)"))
                try await insert.run(rows, on: db)
                let stored = try await db.raw(
                    "SELECT id, amount, reference, reason FROM ledger_entries WHERE user_id = \(bind: user.id) ORDER BY id"
                ).all()
                #expect(try stored.map { try $0.decode(column: "id", as: String.self) } == ["led_1", "led_2"])
                #expect(
                    try stored.map { try $0.decode(column: "amount", as: Int64.self) } == [9_000_000_000_005, -2],
                    "beyond 32 bits")
                #expect(try stored.map { try $0.decode(column: "reference", as: String?.self) } == [nil, "ref"])
                #expect(try stored.map { try $0.decode(column: "reason", as: String?.self) } == ["first", nil])
            }
        }
    }

    @Test("A statement text made for one shape of NULLs is reused only for that shape", arguments: Backend.available)
    func textsByShape(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let insert = BatchInsert(into: "t", columns: ["a", "b"])
            let none: String? = nil
            try await t.database.withConnection { db in
                let full = insert.statement([[.text("x"), .text("y")]], db: db)
                let again = insert.statement([[.text("z"), .text("w")]], db: db)
                let holed = insert.statement([[.text("x"), .text(none)]], db: db)
                let two = insert.statement([[.text(none), .text("y")], [.text("x"), .text("y")]], db: db)
                #expect(full.sql == again.sql)
                #expect(again.binds.count == 2 && holed.binds.count == 1 && two.binds.count == 3)
                let p = backend == .sqlite ? "?" : "$"
                #expect(full.sql.hasSuffix("VALUES (\(p)1, \(p)2)"))
                #expect(holed.sql.hasSuffix("VALUES (\(p)1, NULL)"))
                #expect(two.sql.hasSuffix("VALUES (NULL, \(p)1), (\(p)2, \(p)3)"))
            }
        }
    }
}
