import Testing
import WharfCore
import WharfStorage

@Suite("Migrations and the data map")
struct MigrationAndDataMapTests {
    @Test(
        "Every stored column is declared in the data map, and every declared column is stored",
        arguments: Backend.available)
    func dataMapMatchesLiveSchema(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let live = try await t.database.liveColumns()
            let declared = Dictionary(
                uniqueKeysWithValues: DataMap.tables.map { ($0.name, Set($0.columns.map(\.name))) })
            for (table, columns) in live {
                let known = try #require(declared[table], "table \(table) is stored but not in the data map")
                #expect(
                    columns.subtracting(known).isEmpty, "undeclared columns in \(table): \(columns.subtracting(known))")
                #expect(
                    known.subtracting(columns).isEmpty,
                    "declared but missing in \(table): \(known.subtracting(columns))")
            }
            #expect(Set(declared.keys).subtracting(live.keys).isEmpty, "declared tables missing from the schema")
        }
    }

    @Test("Migrating twice applies nothing the second time", arguments: Backend.available)
    func migrationsAreIdempotent(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let applied = try await t.database.migrate(nowMillis: 2)
            let migrated = try await t.database.isMigrated()
            #expect(applied.isEmpty)
            #expect(migrated)
        }
    }
}
