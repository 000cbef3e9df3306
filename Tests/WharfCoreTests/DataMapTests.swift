import Foundation
import Testing
import WharfCore

@Suite("Data map")
struct DataMapTests {
    @Test("Table names are unique")
    func uniqueTables() {
        let names = DataMap.tables.map(\.name)
        #expect(
            Set(names).count == names.count, "duplicates: \(names.filter { n in names.filter { $0 == n }.count > 1 })")
        #expect(!names.isEmpty)
    }

    @Test("Column names are unique inside each table", arguments: DataMap.tables)
    func uniqueColumns(table: DataMap.Table) {
        let names = table.columns.map(\.name)
        #expect(!names.isEmpty, "\(table.name) declares no columns")
        #expect(Set(names).count == names.count, "duplicate columns in \(table.name)")
    }

    @Test("Every column says why it is kept", arguments: DataMap.tables)
    func purposes(table: DataMap.Table) {
        for column in table.columns {
            #expect(
                !column.purpose.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty,
                "\(table.name).\(column.name) has no purpose")
            #expect(!column.name.isEmpty, "\(table.name) has a column without a name")
        }
    }

    @Test("Columns that link a row to a person are marked personal")
    func personalLinks() {
        for table in DataMap.tables {
            for column in table.columns where column.name == "user_id" || column.name == "email" {
                #expect(column.personal, "\(table.name).\(column.name) should be personal")
            }
        }
        let usage = DataMap.tables.first { $0.name == "usage_records" }
        #expect(usage?.columns.first { $0.name == "client_ip" }?.personal == true)
    }
}
