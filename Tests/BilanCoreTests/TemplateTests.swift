import Testing
import BilanTestSupport
@testable import BilanCore

/// The Mustache subset used for pages, mails and prompts.
@Suite("Template engine")
struct TemplateTests {
    func render(_ source: String, _ context: TemplateValue, escape: ((String) -> String)? = nil) throws -> String {
        let template = try Template(source)
        if let escape { return template.render(context, escape: escape) }
        return template.render(context)
    }

    func syntaxError(_ source: String) -> Bool {
        do {
            _ = try Template(source)
            return false
        } catch {
            return true
        }
    }

    @Test func variablesAreEscaped() throws {
        let out = try render("<p>{{name}}</p>", ["name": "<script>\"Léa\" & 'Tom'</script>"])
        #expect(out == "<p>&lt;script&gt;&quot;Léa&quot; &amp; &#39;Tom&#39;&lt;/script&gt;</p>")
    }

    @Test func tripleBracesAndAmpersandAreRaw() throws {
        #expect(try render("{{{html}}}", ["html": "<b>gras</b> & co"]) == "<b>gras</b> & co")
        #expect(try render("{{& html}}", ["html": "<i>x</i>"]) == "<i>x</i>")
        #expect(try render("{{ name }}", ["name": "<"]) == "&lt;")
    }

    @Test func customEscapeForPrompts() throws {
        #expect(try render("{{x}}", ["x": "<a & b>"], escape: { $0 }) == "<a & b>")
    }

    @Test func missingValuesRenderEmpty() throws {
        #expect(try render("[{{missing}}][{{{missing}}}][{{a.b.c}}]", [:]) == "[][][]")
    }

    @Test func sectionsOnBooleans() throws {
        #expect(try render("{{#ok}}oui{{/ok}}", ["ok": true]) == "oui")
        #expect(try render("{{#ok}}oui{{/ok}}", ["ok": false]) == "")
        #expect(try render("{{#ok}}oui{{/ok}}", [:]) == "")
    }

    @Test func sectionsOnLists() throws {
        let context: TemplateValue = ["items": ["un", "deux", "<trois>"]]
        #expect(try render("{{#items}}[{{.}}]{{/items}}", context) == "[un][deux][&lt;trois&gt;]")
        #expect(try render("{{#items}}x{{/items}}", ["items": []]) == "")
        let objects: TemplateValue = ["sections": [["title": "Synthèse"], ["title": "Plan"]]]
        #expect(try render("{{#sections}}<li>{{title}}</li>{{/sections}}", objects) == "<li>Synthèse</li><li>Plan</li>")
    }

    @Test func sectionsOnObjectsAndText() throws {
        let context: TemplateValue = ["user": ["name": "Léa"], "note": "Bravo", "empty": ""]
        #expect(try render("{{#user}}Bonjour {{name}}{{/user}}", context) == "Bonjour Léa")
        #expect(try render("{{#note}}<p>{{note}}</p>{{/note}}", context) == "<p>Bravo</p>")
        #expect(try render("{{#empty}}x{{/empty}}", context) == "")
    }

    @Test func invertedSections() throws {
        #expect(try render("{{^items}}aucun{{/items}}", ["items": []]) == "aucun")
        #expect(try render("{{^items}}aucun{{/items}}", ["items": ["a"]]) == "")
        #expect(try render("{{^ok}}non{{/ok}}", ["ok": false]) == "non")
        #expect(try render("{{^ok}}non{{/ok}}", ["ok": true]) == "")
        #expect(try render("{{^missing}}absent{{/missing}}", [:]) == "absent")
        #expect(try render("{{^t}}vide{{/t}}", ["t": ""]) == "vide")
    }

    @Test func dottedNames() throws {
        let context: TemplateValue = ["bilan": ["user": ["email": "lea@example.com"], "status": "COMPLETED"]]
        #expect(try render("{{bilan.user.email}} {{bilan.status}}", context) == "lea@example.com COMPLETED")
        #expect(try render("{{#bilan.user}}{{email}}{{/bilan.user}}", context) == "lea@example.com")
        #expect(try render("{{bilan.nothing.email}}", context) == "")
    }

    @Test func outerContextLookupInsideSections() throws {
        let context: TemplateValue = [
            "site": "https://bilan.example.org",
            "sections": [["anchor": "section-1"], ["anchor": "section-2", "site": "interne"]],
        ]
        #expect(try render("{{#sections}}{{site}}#{{anchor}};{{/sections}}", context)
            == "https://bilan.example.org#section-1;interne#section-2;")
    }

    @Test func nestedSections() throws {
        let context: TemplateValue = ["a": ["b": ["c": "x"]], "flag": true, "list": [["n": "1"], ["n": "2"]]]
        #expect(try render("{{#flag}}{{#list}}{{n}}{{#flag}}!{{/flag}}{{/list}}{{/flag}}", context) == "1!2!")
        #expect(try render("{{#a}}{{#b}}{{c}}{{/b}}{{/a}}", context) == "x")
    }

    @Test func comments() throws {
        #expect(try render("a{{! un commentaire }}b", [:]) == "ab")
    }

    @Test func textAroundTagsKept() throws {
        #expect(try render("Bonjour, {{name}} !\n{ pas une balise }", ["name": "Léa"]) == "Bonjour, Léa !\n{ pas une balise }")
    }

    @Test func syntaxErrors() {
        #expect(syntaxError("{{name"))
        #expect(syntaxError("Bonjour {{{name}}"))
        #expect(syntaxError("{{#section}}jamais fermée"))
        #expect(syntaxError("{{/orpheline}}"))
        #expect(syntaxError("{{#a}}x{{/b}}"))
        #expect(syntaxError("{{#a}}{{#b}}x{{/a}}{{/b}}"))
        #expect(!syntaxError("{{#a}}x{{/a}}"))
        #expect(!syntaxError("pas de balise"))
    }
}

@Test func standaloneSectionLinesLeaveNoBlankLines() throws {
    let template = try Template("Au sommaire :\n{{#items}}\n- {{.}}\n{{/items}}\nFin\n")
    let out = template.render(["items": ["Un", "Deux"]], escape: { $0 })
    #expect(out == "Au sommaire :\n- Un\n- Deux\nFin\n")
}

@Test func inlineSectionsKeepTheirLine() throws {
    let template = try Template("a {{#on}}b{{/on}} c\n")
    #expect(template.render(["on": true]) == "a b c\n")
}
