import Testing
import BilanTestSupport
@testable import BilanCore
@testable import BilanWeb

/// `application/x-www-form-urlencoded` bodies and bilan ids in URLs.
@Suite("Form decoding and bilan ids")
struct FormDecodingTests {
    func pairs(_ text: String) throws -> [(String, String)] {
        try FormDecoding.pairs(Array(text.utf8))
    }

    func malformed(_ bytes: [UInt8]) -> Bool {
        (try? FormDecoding.pairs(bytes)) == nil
    }

    @Test func pairsInOrderWithRepeats() throws {
        let result = try pairs("a=1&specialites=SVT&b=&c&specialites=NSI&&d=x=y")
        #expect(result.map(\.0) == ["a", "specialites", "b", "c", "specialites", "d"])
        #expect(result.map(\.1) == ["1", "SVT", "", "", "NSI", "x=y"])
        #expect(try pairs("").isEmpty)
    }

    @Test func plusAndPercentDecoding() throws {
        let result = try pairs("t=Bonjour+le+monde&u=%C3%A9t%C3%A9%20%26%3D%2B&n%61me=v")
        #expect(result[0].1 == "Bonjour le monde")
        #expect(result[1].1 == "été &=+")
        #expect(result[2].0 == "name")
        // A literal "+" arrives as %2B and stays a plus.
        #expect(try pairs("x=1%2B1").first?.1 == "1+1")
        #expect(try pairs("x=%c3%a9").first?.1 == "é")
    }

    @Test func badPercentEscapesRefused() {
        for bad in ["a=%", "a=%4", "a=%zz", "a=%G1", "a=100%", "%=1", "a=%%41", "a=%4g"] {
            #expect(malformed(Array(bad.utf8)), "\(bad)")
        }
        #expect(!malformed(Array("a=%41".utf8)))
    }

    @Test func invalidUTF8Refused() {
        #expect(malformed(Array("a=%FF".utf8)))
        #expect(malformed(Array("a=%C3".utf8)))
        #expect(malformed(Array("a=%C0%AF".utf8)))
        #expect(malformed([0x61, 0x3D, 0xFF]))  // raw byte
        #expect(malformed(Array("%FF=1".utf8)))
    }

    @Test func encodeRoundTrip() throws {
        let text = "L'été & les « maths » = 100% + /chemin ~ok"
        let encoded = FormDecoding.encode(text)
        #expect(!encoded.contains(" ") && !encoded.contains("&") && !encoded.contains("="))
        #expect(try pairs("x=" + encoded).first?.1 == text)
    }

    // MARK: bilan ids

    @Test func canonicalUUIDs() {
        #expect(BilanID.parse("0f8fad5b-d9cb-469f-a165-70867728950e") == "0f8fad5b-d9cb-469f-a165-70867728950e")
        #expect(BilanID.parse("0F8FAD5B-D9CB-469F-A165-70867728950E") == "0f8fad5b-d9cb-469f-a165-70867728950e")
        #expect(BilanID.parse("00000000-0000-0000-0000-000000000000") == "00000000-0000-0000-0000-000000000000")
    }

    @Test(arguments: [
        "", "0f8fad5b-d9cb-469f-a165-70867728950", "0f8fad5b-d9cb-469f-a165-70867728950e0",
        "0f8fad5bd9cb-469f-a165-70867728950e0", "0f8fad5b_d9cb_469f_a165_70867728950e",
        "0f8fad5g-d9cb-469f-a165-70867728950e", "{0f8fad5b-d9cb-469f-a165-70867728950}",
        "0f8fad5b-d9cb-469f-a165-70867728950é", "../../../../etc/passwd-aaaaaaaaaaaaaa", "1 OR 1=1",
        " 0f8fad5b-d9cb-469f-a165-70867728950", "0f8fad5b-d9cb-469f-a165-70867728950\u{0}",
    ])
    func malformedIdsRefused(_ text: String) {
        #expect(BilanID.parse(text) == nil)
    }

    @Test func substringInput() {
        let path = "/orientation/resultat/0F8FAD5B-d9cb-469f-a165-70867728950e"
        let last = path.split(separator: "/").last!
        #expect(BilanID.parse(last) == "0f8fad5b-d9cb-469f-a165-70867728950e")
    }
}
