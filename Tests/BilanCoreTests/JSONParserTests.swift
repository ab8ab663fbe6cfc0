import Testing
import BilanTestSupport
@testable import BilanCore

/// The strict JSON parser and the writer (SPEC §3, §5: a key given twice is invalid JSON).
@Suite("JSON parser and writer")
struct JSONParserTests {
    func fails(_ text: String) -> Bool {
        (try? JSONParser.parse(text)) == nil
    }

    func fails(_ bytes: [UInt8]) -> Bool {
        (try? JSONParser.parse(bytes)) == nil
    }

    @Test func parsesNestedValues() throws {
        let value = try JSONParser.parse(#" { "a" : [1, -2.5, true, false, null, "x"], "b": {"c": {}} , "d": [] } "#)
        #expect(value == ["a": [1, -2.5, true, false, nil, "x"], "b": ["c": [:]], "d": []])
        #expect(value.objectValue?.map(\.0) == ["a", "b", "d"])
    }

    @Test func duplicateKeyRefused() {
        #expect(fails(#"{"niveau":"TERMINALE","niveau":"SECONDE"}"#))
        #expect(fails(#"{"a":{"b":1,"b":1}}"#))
        // Same key after escape decoding is still a duplicate.
        #expect(fails(#"{"a":1,"\u0061":2}"#))
        // Same key in two different objects is fine.
        #expect(!fails(#"[{"a":1},{"a":2}]"#))
    }

    func nested(_ depth: Int) -> String {
        String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
    }

    @Test func depthLimit() {
        #expect(!fails(nested(32)))
        #expect(!fails(String(repeating: "{\"a\":", count: 31) + "[1]" + String(repeating: "}", count: 31)))
        #expect(fails(nested(34)))
        #expect(fails(nested(1000)))
        #expect(fails(String(repeating: "{\"a\":", count: 40) + "1" + String(repeating: "}", count: 40)))
    }

    /// "nesting deeper than maxDepth (32)": 33 nested containers is deeper than 32,
    /// whether or not the innermost one is empty (33 arrays around `1` are refused).
    @Test func thirtyThreeLevelsRefused() {
        #expect(fails("[" + nested(32).dropLast(32) + "1" + String(repeating: "]", count: 32) + "]"))
        #expect(fails(nested(33)))
    }

    @Test func invalidUTF8Refused() throws {
        #expect(fails([0x22, 0xFF, 0x22]))  // lone 0xFF
        #expect(fails([0x22, 0xC3, 0x22]))  // truncated sequence
        #expect(fails([0x22, 0xC0, 0xAF, 0x22]))  // overlong "/"
        #expect(fails([0x22, 0xED, 0xA0, 0x80, 0x22]))  // encoded surrogate
        #expect(fails([0x7B, 0x22, 0xFE, 0x22, 0x3A, 0x31, 0x7D]))  // in a key
        #expect(fails([0xFF]))
        // Valid multi-byte text is fine.
        #expect(try JSONParser.parse([0x22, 0xC3, 0xA9, 0x22]) == "é")
    }

    @Test func surrogates() throws {
        #expect(fails(#""\ud800""#))
        #expect(fails(#""\udc00""#))
        #expect(fails(#""\ud800\u0041""#))
        #expect(fails(#""\ud800x""#))
        #expect(fails(#""\ud800\ud800""#))
        #expect(try JSONParser.parse(#""\ud83d\ude00""#) == "😀")
        #expect(try JSONParser.parse(#""\u00e9\u0000""#) == "é\u{0}")
    }

    @Test func controlCharactersInStringsRefused() {
        #expect(fails([0x22, 0x01, 0x22]))
        #expect(fails("\"a\nb\""))
        #expect(fails("\"a\tb\""))
        #expect(fails([0x22, 0x00, 0x22]))
    }

    @Test func badEscapesRefused() {
        #expect(fails(#""\x41""#))
        #expect(fails(#""\u12""#))
        #expect(fails(#""\u12G4""#))
        #expect(fails(#""abc"#))
    }

    @Test func trailingGarbageRefused() {
        #expect(fails("{} x"))
        #expect(fails("{}}"))
        #expect(fails("1 2"))
        #expect(fails(#"{"a":1},"#))
        #expect(fails("[1,]"))
        #expect(fails(#"{"a":1,}"#))
        #expect(fails(""))
        #expect(fails("   "))
        #expect(!fails(" {} \n\t"))
    }

    @Test func numbers() throws {
        #expect(fails("1e400"))
        #expect(fails("-1e400"))
        #expect(try JSONParser.parse("1.5e3") == .number(1500))
        #expect(try JSONParser.parse("2E-2") == .number(0.02))
        #expect(try JSONParser.parse("-0") == .number(0))
        #expect(try JSONParser.parse("-0").numberValue?.sign == .minus)
        #expect(try JSONParser.parse("0.5") == .number(0.5))
        for bad in ["01", "1.", ".5", "+1", "-", "1e", "1e+", "0x10", "NaN", "Infinity", "- 1"] {
            #expect(fails(bad), "\(bad)")
        }
    }

    @Test func literals() throws {
        #expect(try JSONParser.parse("true") == true)
        #expect(try JSONParser.parse("null") == .null)
        #expect(fails("tru"))
        #expect(fails("True"))
        #expect(fails("nul"))
    }

    @Test func serializedRoundTrip() throws {
        let value: JSONValue = [
            "texte": "Guillemets \" et \\ barre, é, 😀, \u{1}, \n\t\r, </script>, &amp;, \u{2028}",
            "nombres": [0, -3, 14.5, 1e20, 0.1, -0.25, 123456789],
            "drapeaux": [true, false, nil],
            "objet": ["vide": [:], "liste": [], "profond": [["a": [["b": "c"]]]]],
        ]
        let text = value.serialized
        #expect(try JSONParser.parse(text) == value)
        #expect(try JSONParser.parse(text).serialized == text)
    }

    @Test func integersWithoutFraction() {
        #expect(JSONValue.number(16).serialized == "16")
        #expect(JSONValue.number(14.5).serialized == "14.5")
        #expect((["a": 1, "b": "x"] as JSONValue).serialized == #"{"a":1,"b":"x"}"#)
    }

    @Test func htmlSensitiveCharactersEscaped() {
        let text = JSONValue.string("</script><b>&").serialized
        #expect(text == #""\u003c/script\u003e\u003cb\u003e\u0026""#)
        #expect(!text.contains("<"))
        #expect(JSONValue.string("\u{1}").serialized == #""\u0001""#)
        #expect(JSONValue.string("\u{2028}").serialized == #""\u2028""#)
        // U+2027 shares two UTF-8 bytes with U+2028 and stays as it is.
        #expect(JSONValue.string("a\u{1F}\u{2029}é\u{2027}").serialized == "\"a\\u001f\\u2029é\u{2027}\"")
        #expect(JSONValue.string("\u{1}").serializedBytes == Array(#""\u0001""#.utf8))
    }
}
