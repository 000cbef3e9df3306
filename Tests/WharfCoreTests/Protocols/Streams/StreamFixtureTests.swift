import Testing

@testable import WharfCore

@Suite("Golden stream fixtures")
struct StreamFixtureTests {
    @Test("There are at least twenty golden stream cases and each one loads")
    func fixturesLoad() {
        #expect(DialectStreamFixture.names.count >= 20)
        #expect(DialectStreamFixture.all.count == DialectStreamFixture.names.count)
    }

    @Test(
        "A golden upstream stream fed whole gives exactly the expected client bytes and metering",
        arguments: DialectStreamFixture.all)
    func whole(_ fixture: DialectStreamFixture) {
        let (out, translator) = fixture.run(pieces: [fixture.upstream[...]])
        #expect(String(decoding: out, as: UTF8.self) == String(decoding: fixture.expected, as: UTF8.self))
        #expect(out == fixture.expected)
        #expect(translator.metering.usage == fixture.usage)
        #expect(translator.metering.textBytes == fixture.textBytes)
        #expect(translator.metering.sawEnd == fixture.sawEnd)
        #expect(translator.metering.sawError == fixture.sawError)
        #expect(!translator.overflowed)
    }

    @Test(
        "A golden upstream stream split in two at every byte boundary gives the same bytes and metering",
        arguments: DialectStreamFixture.all)
    func everySplit(_ fixture: DialectStreamFixture) {
        let bytes = fixture.upstream
        for cut in 0...bytes.count {
            let (out, translator) = fixture.run(pieces: [bytes[..<cut], bytes[cut...]])
            #expect(out == fixture.expected, "split at \(cut)")
            #expect(translator.metering.usage == fixture.usage, "split at \(cut)")
            #expect(translator.metering.textBytes == fixture.textBytes, "split at \(cut)")
            #expect(translator.metering.sawEnd == fixture.sawEnd, "split at \(cut)")
            #expect(translator.metering.sawError == fixture.sawError, "split at \(cut)")
            if out != fixture.expected { return }
        }
    }

    @Test(
        "A golden upstream stream fed one byte at a time gives the same bytes and metering",
        arguments: DialectStreamFixture.all)
    func byteByByte(_ fixture: DialectStreamFixture) {
        let bytes = fixture.upstream
        let pieces = bytes.indices.map { bytes[$0..<($0 + 1)] }
        let (out, translator) = fixture.run(pieces: pieces)
        #expect(out == fixture.expected)
        #expect(translator.metering.usage == fixture.usage)
        #expect(translator.metering.textBytes == fixture.textBytes)
        #expect(translator.metering.sawEnd == fixture.sawEnd)
        #expect(translator.metering.sawError == fixture.sawError)
    }

    @Test(
        "The same-dialect meter reads the upstream side of every golden case exactly as the translator does",
        arguments: DialectStreamFixture.all)
    func meterAgreesWithTranslator(_ fixture: DialectStreamFixture) {
        var meter = StreamMeter(dialect: fixture.from)
        for byte in fixture.upstream { meter.feed([byte]) }
        meter.finish()
        #expect(meter.metering.usage == fixture.usage)
        #expect(meter.metering.textBytes == fixture.textBytes)
        #expect(meter.metering.sawEnd == fixture.sawEnd)
        #expect(meter.metering.sawError == fixture.sawError)
    }
}
