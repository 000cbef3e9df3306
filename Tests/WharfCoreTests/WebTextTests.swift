import Foundation
import Testing
import WharfCore

@Suite("Web text: translations, forms, CSV, charts, languages, devices")
struct WebTextTests {
    @Test("Both languages have exactly the same keys, and no text is empty")
    func tablesMatch() {
        let english = Set(Translations.english.keys)
        let chinese = Set(Translations.simplifiedChinese.keys)
        #expect(english.subtracting(chinese).isEmpty, "missing in Chinese: \(english.subtracting(chinese).sorted())")
        #expect(chinese.subtracting(english).isEmpty, "missing in English: \(chinese.subtracting(english).sorted())")
        #expect(Translations.english.values.allSatisfy { !$0.isEmpty })
        #expect(Translations.simplifiedChinese.values.allSatisfy { !$0.isEmpty })
    }

    @Test("Email templates keep their placeholders in both languages")
    func placeholders() {
        for key in Translations.keys where key.hasPrefix("mail_") && key.hasSuffix("_body") {
            let names = ["{link}", "{device}", "{ip}"].filter { Translations.english[key]?.contains($0) == true }
            for name in names { #expect(Translations.simplifiedChinese[key]?.contains(name) == true, "\(key) \(name)") }
        }
    }

    @Test("A form decodes percent escapes and plus signs, keeps repeated fields, and rejects invalid UTF-8")
    func forms() throws {
        let form = try #require(FormFields(urlEncoded: Array("a=1+2&b=%E4%BD%A0%E5%A5%BD&a=3&c=&flag=on".utf8)))
        #expect(form["a"] == "1 2")
        #expect(form.values["a"] == ["1 2", "3"])
        #expect(form["b"] == "你好")
        #expect(form["c"] == "")
        #expect(form.isChecked("flag"))
        #expect(!form.isChecked("missing"))
        #expect(FormFields(urlEncoded: Array("a=%FF%FE".utf8)) == nil)
        #expect(FormFields(urlEncoded: Array("a=%G1".utf8)) == nil)
        #expect(FormFields(urlEncoded: Array("a=%4".utf8)) == nil)
        #expect(FormFields(urlEncoded: Array("p=%20x%20".utf8))?.raw("p") == " x ")
    }

    @Test("CSV quotes what needs quoting and defuses spreadsheet formulas, but keeps negative numbers")
    func csv() {
        #expect(CSVTable.line(["a", "b,c", "say \"hi\""]) == "a,\"b,c\",\"say \"\"hi\"\"\"\r\n")
        #expect(
            CSVTable.line(["=SUM(A1)", "@cmd", "+1+2", "-1.500000", "-3"]) == "'=SUM(A1),'@cmd,'+1+2,-1.500000,-3\r\n")
        #expect(CSVTable.line(["line\nbreak"]) == "\"line\nbreak\"\r\n")
    }

    @Test("A chart draws one bar per point scaled to the largest, and escapes its labels")
    func chart() {
        let svg = SVGBarChart(
            title: "Requests <per> day",
            bars: [
                .init(label: "11-21", value: 0, shown: "0"), .init(label: "11-22", value: 5, shown: "5"),
                .init(label: "<b>", value: 10, shown: "10"),
            ]
        ).render()
        #expect(svg.hasPrefix("<svg"))
        #expect(svg.components(separatedBy: "<rect class=\"bar\"").count - 1 == 3)
        #expect(svg.contains("height=\"142\""), "the largest bar fills the plot")
        #expect(svg.contains("height=\"71\""), "half the largest is half as tall")
        #expect(svg.contains("Requests &lt;per&gt; day"))
        #expect(!svg.contains("<b>"))
    }

    @Test("Accept-Language picks Chinese or English by quality, and English for anything else")
    func negotiation() {
        #expect(Language.negotiate(acceptLanguage: "zh-CN,zh;q=0.9,en;q=0.8") == .simplifiedChinese)
        #expect(Language.negotiate(acceptLanguage: "en-GB,en;q=0.9,zh;q=0.8") == .english)
        #expect(Language.negotiate(acceptLanguage: "fr-FR,zh-Hans;q=0.5") == .simplifiedChinese)
        #expect(Language.negotiate(acceptLanguage: "fr, de") == .english)
        #expect(Language.negotiate(acceptLanguage: nil) == .english)
        #expect(Language(tag: "zh-TW") == nil)
    }

    @Test("Only browser and system are kept of a user agent")
    func devices() {
        #expect(
            DeviceSummary.of("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0.0.0 Safari/537.36")
                == "Chrome on Linux")
        #expect(
            DeviceSummary.of("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit Safari/604.1")
                == "Safari on iOS")
        #expect(DeviceSummary.of(nil) == "Unknown device")
    }
}
