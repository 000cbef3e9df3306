import Testing
import WharfPayments

@Suite("Currency amounts in minor units")
struct CurrencyAmountTests {
    @Test("Ten yuan is 1000 minor units however many zeros follow the point")
    func tenIsTenPointZeroZero() {
        #expect(CurrencyAmount.parseMinor("10", exponent: 2) == 1000)
        #expect(CurrencyAmount.parseMinor("10.0", exponent: 2) == 1000)
        #expect(CurrencyAmount.parseMinor("10.00", exponent: 2) == 1000)
        #expect(CurrencyAmount.parseMinor("10.010", exponent: 2) == 1001)
        #expect(CurrencyAmount.parseMinor("0.01", exponent: 2) == 1)
        #expect(CurrencyAmount.parseMinor("9.90", exponent: 2) == 990)
        #expect(CurrencyAmount.parseMinor("14.2857", exponent: 6) == 14_285_700)
    }

    @Test(
        "A third significant decimal, signs, spaces, exponents and grouping are refused",
        arguments: [
            "10.001", "", "-1", "+1", " 10", "10 ", "1e3", "1E3", "1,00", ".5", "10.", ".", "--1", "1.2.3", "１０",
            "0x10",
            "NaN", "inf",
        ])
    func refused(text: String) {
        #expect(CurrencyAmount.parseMinor(text, exponent: 2) == nil)
    }

    @Test("An amount beyond Int64 is refused rather than wrapped")
    func overflow() {
        #expect(CurrencyAmount.parseMinor("92233720368547758.07", exponent: 2) == Int64.max)
        #expect(CurrencyAmount.parseMinor("92233720368547758.08", exponent: 2) == nil)
        #expect(CurrencyAmount.parseMinor("99999999999999999999", exponent: 0) == nil)
        #expect(CurrencyAmount.parseMinor("1", exponent: -1) == nil)
    }

    @Test("A zero-decimal currency takes whole units only")
    func zeroDecimal() {
        #expect(CurrencyAmount.exponent(for: "JPY") == 0)
        #expect(CurrencyAmount.exponent(for: "jpy") == 0)
        #expect(CurrencyAmount.exponent(for: "KRW") == 0)
        #expect(CurrencyAmount.exponent(for: "VND") == 0)
        #expect(CurrencyAmount.parseMinor("500", exponent: 0) == 500)
        #expect(CurrencyAmount.parseMinor("500.0", exponent: 0) == 500)
        #expect(CurrencyAmount.parseMinor("500.5", exponent: 0) == nil)
        #expect(CurrencyAmount.format(500, exponent: 0) == "500")
    }

    @Test("Exponents follow the Stripe API: two decimals by default, three for the dinars, ISK kept at two")
    func exponents() {
        for code in ["USD", "usd", "CNY", "EUR", "GBP", "ISK"] { #expect(CurrencyAmount.exponent(for: code) == 2) }
        for code in ["CLP", "UGX", "XAF", "XOF", "BIF", "XPF"] { #expect(CurrencyAmount.exponent(for: code) == 0) }
        for code in ["KWD", "BHD", "JOD", "OMR", "TND"] { #expect(CurrencyAmount.exponent(for: code) == 3) }
    }

    @Test("Epay and HupiJiao amounts are written with exactly two decimals")
    func fixedFormat() {
        #expect(CurrencyAmount.format(1000, exponent: 2) == "10.00")
        #expect(CurrencyAmount.format(1, exponent: 2) == "0.01")
        #expect(CurrencyAmount.format(990, exponent: 2) == "9.90")
        #expect(CurrencyAmount.format(0, exponent: 2) == "0.00")
        #expect(CurrencyAmount.format(-150, exponent: 2) == "-1.50")
        #expect(CurrencyAmount.format(5124, exponent: 3) == "5.124")
        #expect(CurrencyAmount.format(Int64.min, exponent: 2) == "-92233720368547758.08")
    }

    @Test("epusdt amounts are written in Go's shortest form, with no trailing zeros")
    func shortestFormat() {
        #expect(CurrencyAmount.formatShortest(4200, exponent: 2) == "42")
        #expect(CurrencyAmount.formatShortest(1420, exponent: 2) == "14.2")
        #expect(CurrencyAmount.formatShortest(425, exponent: 2) == "4.25")
        #expect(CurrencyAmount.formatShortest(5, exponent: 2) == "0.05")
        #expect(CurrencyAmount.formatShortest(0, exponent: 2) == "0")
        #expect(CurrencyAmount.formatShortest(7, exponent: 0) == "7")
    }

    @Test("Formatting and parsing round-trip")
    func roundTrip() {
        for minor: Int64 in [0, 1, 9, 10, 99, 100, 101, 990, 123_456_789] {
            #expect(CurrencyAmount.parseMinor(CurrencyAmount.format(minor, exponent: 2), exponent: 2) == minor)
            #expect(CurrencyAmount.parseMinor(CurrencyAmount.formatShortest(minor, exponent: 2), exponent: 2) == minor)
        }
    }
}
