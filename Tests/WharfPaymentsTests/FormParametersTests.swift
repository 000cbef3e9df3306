import Testing
import WharfPayments

@Suite("Form parameters, constant-time comparison and the MD5 rule")
struct FormParametersTests {
    @Test("A PHP-urlencoded query decodes to UTF-8 text, with + as a space")
    func decodes() throws {
        let params = try FormParameters.parse("name=VIP%E4%BC%9A%E5%91%98&title=Wharf+top-up&empty=&bare&x=a%2Bb")
        #expect(params["name"] == "VIP会员")
        #expect(params["title"] == "Wharf top-up")
        #expect(params["empty"] == "")
        #expect(params["bare"] == "")
        #expect(params["x"] == "a+b")
        #expect(params.count == 5)
    }

    @Test("A name sent twice is refused, even when spelled differently by percent-encoding")
    func duplicateNames() {
        #expect(throws: PaymentRejection.malformed("form field repeated")) {
            try FormParameters.parse("money=1.00&money=100.00")
        }
        #expect(throws: PaymentRejection.self) { try FormParameters.parse("money=1.00&%6Doney=100.00") }
    }

    @Test(
        "Bad percent-encoding, invalid UTF-8 and nameless pairs are refused",
        arguments: [
            "a=%", "a=%4", "a=%zz", "a=%FF", "a=%C3%28", "=value", "a=1&%E4%BC=2",
        ])
    func refused(text: String) {
        #expect(throws: PaymentRejection.self) { try FormParameters.parse(text) }
    }

    @Test("More than 100 pairs or more than 16 KiB is refused; empty segments are skipped")
    func limits() throws {
        let hundred = (0..<100).map { "k\($0)=v" }.joined(separator: "&")
        #expect(try FormParameters.parse(hundred).count == 100)
        #expect(throws: PaymentRejection.self) { try FormParameters.parse(hundred + "&k100=v") }
        #expect(throws: PaymentRejection.self) {
            try FormParameters.parse("a=" + String(repeating: "x", count: 16 * 1024))
        }
        #expect(try FormParameters.parse("a=1&&b=2&") == ["a": "1", "b": "2"])
        #expect(try FormParameters.parse("") == [:])
    }

    @Test("A notify may come by query or by body, never both")
    func queryOrBody() throws {
        #expect(try FormParameters.parse(query: "a=1", body: nil) == ["a": "1"])
        #expect(try FormParameters.parse(query: "", body: "a=2") == ["a": "2"])
        #expect(try FormParameters.parse(query: nil, body: nil) == [:])
        #expect(throws: PaymentRejection.malformed("parameters both in query and body")) {
            try FormParameters.parse(query: "a=1", body: "b=2")
        }
    }

    @Test("Encoding follows PHP urlencode and keeps the order given")
    func encodes() {
        let text = FormParameters.encode([
            ("name", "VIP会员"), ("a b", "x y"), ("keep", "A-z_0.9"), ("other", "~*'/?&=[]"),
        ])
        #expect(text == "name=VIP%E4%BC%9A%E5%91%98&a+b=x+y&keep=A-z_0.9&other=%7E%2A%27%2F%3F%26%3D%5B%5D")
    }

    @Test("Encoding then parsing gives the pairs back")
    func roundTrip() throws {
        let pairs = [("notify_url", "https://h/x?a=1&b=2"), ("name", "会员 top+up%"), ("e", "")]
        let parsed = try FormParameters.parse(FormParameters.encode(pairs))
        #expect(parsed == Dictionary(uniqueKeysWithValues: pairs))
    }

    @Test("Constant-time equality compares bytes")
    func constantTime() {
        #expect(ConstantTime.equal("abc", "abc"))
        #expect(ConstantTime.equal("", ""))
        #expect(!ConstantTime.equal("abc", "abd"))
        #expect(!ConstantTime.equal("abc", "abcd"))
        #expect(!ConstantTime.equal("é", "e\u{301}"))
    }

    @Test("The MD5 rule drops excluded keys and empty values and sorts keys by bytes")
    func canonical() {
        let params = ["b": "2", "a": "1", "sign": "x", "empty": "", "B": "3", "a_": "4"]
        #expect(MD5Signing.canonical(params, excluding: ["sign"]) == "B=3&a=1&a_=4&b=2")
    }

    @Test("go-epay's unit-test vector: MD5 of the sorted string with the key appended")
    func goEpayVector() {
        let sign = MD5Signing.sign(["device": "devicev", "money": "moneyv"], secret: "1234567", excluding: [])
        #expect(sign == "3854cc9f022e0fb821bd2e002260245d")
    }

    @Test("The &key= style appends the secret after &key=")
    func ampKeyStyle() {
        let plain = MD5Signing.sign(["a": "1"], secret: "s", excluding: [], style: .plain)
        let amp = MD5Signing.sign(["a": "1"], secret: "s", excluding: [], style: .ampKey)
        #expect(plain == MD5Signing.sign(["a": "1s"], secret: "", excluding: []))
        #expect(amp == MD5Signing.sign(["a": "1&key=s"], secret: "", excluding: []))
        #expect(plain != amp)
    }
}
