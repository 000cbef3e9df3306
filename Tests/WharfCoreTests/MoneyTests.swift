import Testing
import WharfCore

@Suite("Money")
struct MoneyTests {
    @Test(
        "A plain decimal parses to exact micro-units",
        arguments: [
            ("12.50", 12_500_000),
            ("0.000001", 1),
            ("-3", -3_000_000),
            (".5", 500_000),
            ("5.", 5_000_000),
            ("0", 0),
            ("-0", 0),
            ("+7.25", 7_250_000),
            ("007", 7_000_000),
            ("1.123456", 1_123_456),
            ("-0.000001", -1),
            ("9223372036854.775807", Int64.max),
            ("-9223372036854.775807", -Int64.max),
        ] as [(String, Int64)]
    )
    func parsesPlainDecimal(text: String, micros: Int64) throws {
        #expect(try Money(parsing: text).micros == micros)
    }

    @Test(
        "Text that is not a plain decimal is rejected as invalid",
        arguments: [
            "1e3", "abc", "", " ", " 5", "5 ", "\t1.5", "1.5\n", "1,000", "-", "+", ".", "-.", "1.2.3", "--1", "+-1",
            "1 000", "0x10",
            "١٢", "12.5€", "$12", "1.-5", "Infinity", "NaN",
        ]
    )
    func rejectsNonDecimal(text: String) {
        #expect(throws: MoneyError.invalid(text)) { try Money(parsing: text) }
    }

    @Test(
        "More than six decimal places are rejected, not rounded",
        arguments: ["1.1234567", "0.0000001", "-0.0000005", "12.500000000"]
    )
    func rejectsTooPrecise(text: String) {
        #expect(throws: MoneyError.tooPrecise(text)) { try Money(parsing: text) }
    }

    @Test(
        "Amounts beyond Int64 micro-units are rejected instead of wrapping",
        arguments: ["9999999999999999", "9223372036854.775808", "99999999999999999999", "-9999999999999999"]
    )
    func rejectsOverflow(text: String) {
        #expect(throws: MoneyError.outOfRange(text)) { try Money(parsing: text) }
    }

    @Test(
        "An amount prints as a plain decimal with six fractional digits",
        arguments: [
            (12_500_000, "12.500000"),
            (0, "0.000000"),
            (1, "0.000001"),
            (-1, "-0.000001"),
            (-3_000_000, "-3.000000"),
            (-12_345_678, "-12.345678"),
            (1_000_000, "1.000000"),
            (Int64.max, "9223372036854.775807"),
            (Int64.min, "-9223372036854.775808"),
        ] as [(Int64, String)]
    )
    func printsSixDecimals(micros: Int64, text: String) {
        #expect(Money(micros: micros).description == text)
        #expect("\(Money(micros: micros))" == text)
    }

    @Test(
        "Printing and parsing again gives back the same amount",
        arguments: [0, 1, -1, 999_999, 1_000_001, -42_000_000, 123_456_789_012, Int64.max, -Int64.max] as [Int64]
    )
    func roundTrips(micros: Int64) throws {
        let money = Money(micros: micros)
        #expect(try Money(parsing: money.description) == money)
    }

    @Test("Amounts order by their micro-units, and zero is zero")
    func ordering() {
        #expect(Money(micros: -1) < Money.zero)
        #expect(Money.zero < Money(micros: 1))
        #expect(Money.zero.micros == 0)
        #expect([Money(micros: 5), Money(micros: -2), Money(micros: 3)].sorted().map(\.micros) == [-2, 3, 5])
        #expect(Money.microsPerUnit == 1_000_000)
    }

    @Test("An error message quotes the offending text")
    func errorMessagesQuoteText() {
        #expect(MoneyError.invalid("1e3").description.contains("'1e3'"))
        #expect(MoneyError.tooPrecise("1.1234567").description.contains("'1.1234567'"))
        #expect(MoneyError.tooPrecise("1.1234567").description.contains("6 decimal places"))
        #expect(MoneyError.outOfRange("9999999999999999").description.contains("'9999999999999999'"))
    }
}
