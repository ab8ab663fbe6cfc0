import Testing
import BilanTestSupport
@testable import BilanCore
@testable import BilanGeneration

/// SPEC §7 and §12, docs/REPORT-ENGINE.md « Pass 1 schema »: each pass's answer
/// is checked before it is checkpointed. Pass 1 is held to the schema of
/// `templates/prompts/1-initial-schema.json` (`InitialAnalysis.validate`),
/// pass 2 is 250–1,200 words of plain text, pass 3 only loses a code fence
/// and must not be empty (its structure is the report check's job, see
/// ReportCheckTests).
@Suite("Pass validation")
struct PassValidationTests {
    // MARK: pass 1

    static func point(_ point: String, _ answer: String) -> JSONValue { ReportFixtures.point(point, answer) }
    static func path(_ name: String, selectivity: String = "sélective") -> JSONValue {
        ReportFixtures.path(name, selectivity: selectivity)
    }
    static let valid = ReportFixtures.validInitialAnalysis

    func refused(_ answer: String) -> Bool {
        do {
            _ = try PassValidation.checkpoint(for: .initial, answer: answer)
            return false
        } catch {
            return true
        }
    }

    func refused(_ json: JSONValue) -> Bool { refused(json.serialized) }

    /// `value` with the member at `path` (keys, or indices for lists) replaced, or removed when nil.
    static func changing(_ value: JSONValue, _ path: [String], to replacement: JSONValue?) -> JSONValue {
        guard let first = path.first else { return replacement ?? .null }
        let rest = Array(path.dropFirst())
        switch value {
        case .array(var items):
            let index = Int(first)!
            if rest.isEmpty, replacement == nil { items.remove(at: index) } else {
                items[index] = changing(items[index], rest, to: replacement)
            }
            return .array(items)
        case .object:
            if rest.isEmpty { return TestSupport.setting(value, first, replacement) }
            return TestSupport.setting(value, first, changing(value[first] ?? .null, rest, to: replacement))
        default:
            return value
        }
    }

    @Test func validAnalysisAccepted() throws {
        let value = try PassValidation.checkpoint(for: .initial, answer: Self.valid.serialized)
        #expect(value == Self.valid)
    }

    @Test func analysisInCodeFenceAccepted() throws {
        let value = try PassValidation.checkpoint(for: .initial, answer: "```json\n" + Self.valid.serialized + "\n```")
        #expect(value == Self.valid)
    }

    @Test func everySelectivityOfTheEnumAccepted() {
        for selectivity in ["très sélective", "sélective", "modérément sélective", "accessible"] {
            #expect(!refused(Self.changing(Self.valid, ["pistes", "1", "selectivite"], to: .string(selectivity))), "\(selectivity)")
        }
    }

    @Test(arguments: ["peu sélective", "Sélective", "selective", "tres selective", "", "sélective, accessible"])
    func selectivityOutsideTheEnumRefused(_ selectivity: String) {
        #expect(refused(Self.changing(Self.valid, ["pistes", "0", "selectivite"], to: .string(selectivity))), "« \(selectivity) »")
    }

    /// `stripCodeFence` drops the first and last lines of a fenced answer; an
    /// answer that is one line starting and ending with ``` has no lines to
    /// drop after the first. It must be refused (or parsed), not crash the generator.
    @Test(
          arguments: ["```", "````", "```json {\"synthese\": \"x\"} ```"])
    func oneLineFenceDoesNotCrash(_ answer: String) {
        #expect(refused(answer))
        if answer.allSatisfy({ $0 == "`" }) {
            #expect((try? PassValidation.checkpoint(for: .terrain, answer: answer)) == nil)
        }
    }

    @Test func pathCountBounds() {
        let extra = [Self.path("BUT mesures physiques"), Self.path("Licence de mathématiques", selectivity: "accessible"),
                     Self.path("Licence de mécanique", selectivity: "accessible")]
        let three = Self.valid["pistes"]!.arrayValue!
        #expect(refused(Self.changing(Self.valid, ["pistes"], to: .array(Array(three.prefix(2))))))
        #expect(!refused(Self.changing(Self.valid, ["pistes"], to: .array(three + extra.prefix(1)))))
        #expect(!refused(Self.changing(Self.valid, ["pistes"], to: .array(three + extra.prefix(2)))))
        #expect(refused(Self.changing(Self.valid, ["pistes"], to: .array(three + extra))))
        #expect(refused(Self.changing(Self.valid, ["pistes"], to: [])))
    }

    @Test func pointCountBounds() {
        let one = Self.point("Curiosité", "astronomie")
        for key in ["atouts", "axesDeProgres"] {
            #expect(refused(Self.changing(Self.valid, [key], to: [])), "\(key) empty")
            #expect(!refused(Self.changing(Self.valid, [key], to: .array(Array(repeating: one, count: 6)))), "\(key) × 6")
            #expect(refused(Self.changing(Self.valid, [key], to: .array(Array(repeating: one, count: 7)))), "\(key) × 7")
        }
    }

    @Test(arguments: ["synthese", "atouts", "axesDeProgres", "pistes", "questionsOuvertes"])
    func missingTopLevelKeyRefused(_ key: String) {
        #expect(refused(Self.changing(Self.valid, [key], to: nil)))
    }

    @Test(arguments: ["intitule", "pourquoi", "duree", "niveauAttendu", "selectivite", "specialitesAttendues", "prochainesEtapes"])
    func missingPathKeyRefused(_ key: String) {
        #expect(refused(Self.changing(Self.valid, ["pistes", "2", key], to: nil)))
    }

    @Test func missingPointMemberRefused() {
        #expect(refused(Self.changing(Self.valid, ["atouts", "0", "reponse"], to: nil)))
        #expect(refused(Self.changing(Self.valid, ["axesDeProgres", "0", "point"], to: nil)))
    }

    @Test func unknownKeysRefused() {
        // The questionnaire's key name is not one of the analysis's.
        #expect(refused(Self.changing(Self.changing(Self.valid, ["atouts"], to: nil), ["pointsForts"], to: Self.valid["atouts"])))
        #expect(refused(Self.changing(Self.valid, ["conclusion"], to: "Bon courage")))
        #expect(refused(Self.changing(Self.valid, ["pistes", "0", "nom"], to: "CPGE")))
        #expect(refused(Self.changing(Self.valid, ["atouts", "1", "source"], to: "questionnaire")))
    }

    @Test func wrongTypesRefused() {
        let cases: [([String], JSONValue)] = [
            (["synthese"], 12),
            (["synthese"], ["un", "deux"]),
            (["atouts"], "rigueur, mathématiques"),
            // The old format: a point as a bare string.
            (["atouts"], ["rigueur", "mathématiques"]),
            (["axesDeProgres", "0"], .null),
            (["pistes"], .object([("0", Self.path("CPGE"))])),
            (["pistes", "0", "duree"], 2),
            (["pistes", "0", "specialitesAttendues"], "mathématiques"),
            (["pistes", "0", "specialitesAttendues"], [1, 2]),
            (["pistes", "1", "prochainesEtapes"], "Consulter Parcoursup"),
            (["pistes", "1", "prochainesEtapes"], [true]),
            (["questionsOuvertes"], "MPSI ?"),
            (["questionsOuvertes"], [["question": "MPSI ?"]]),
            (["atouts", "0", "reponse"], false),
        ]
        for (path, value) in cases {
            #expect(refused(Self.changing(Self.valid, path, to: value)), "\(path) = \(value.serialized)")
        }
    }

    @Test func emptyStringsRefused() {
        for path in [
            ["synthese"], ["atouts", "0", "point"], ["atouts", "0", "reponse"], ["axesDeProgres", "0", "reponse"],
            ["pistes", "0", "intitule"], ["pistes", "1", "pourquoi"], ["pistes", "2", "duree"], ["pistes", "2", "niveauAttendu"],
            ["pistes", "0", "selectivite"], ["pistes", "0", "prochainesEtapes", "0"], ["pistes", "0", "specialitesAttendues", "1"],
        ] {
            #expect(refused(Self.changing(Self.valid, path, to: "")), "\(path) empty")
            #expect(refused(Self.changing(Self.valid, path, to: "  \n ")), "\(path) blank")
        }
        #expect(refused(Self.changing(Self.valid, ["questionsOuvertes"], to: [""])))
    }

    @Test func listBoundsInsideAPath() {
        // Next steps: at least one; expected spécialités and open questions may be empty.
        #expect(refused(Self.changing(Self.valid, ["pistes", "0", "prochainesEtapes"], to: [])))
        #expect(!refused(Self.changing(Self.valid, ["pistes", "0", "specialitesAttendues"], to: [])))
        #expect(!refused(Self.changing(Self.valid, ["questionsOuvertes"], to: [])))
        let nine = JSONValue.array(Array(repeating: "Pourquoi ?", count: 9))
        #expect(refused(Self.changing(Self.valid, ["questionsOuvertes"], to: nine)))
        let seven = JSONValue.array(Array(repeating: "Étape", count: 7))
        #expect(refused(Self.changing(Self.valid, ["pistes", "0", "prochainesEtapes"], to: seven)))
    }

    @Test func notAnObjectRefused() {
        #expect(refused("Voici mon analyse : l'élève est motivé."))
        #expect(refused("[1,2]"))
        #expect(refused("\"texte\""))
        #expect(refused(Self.valid.serialized + " trailing"))
        #expect(refused(""))
    }

    @Test func analysisAsPromptTextHasNoJSON() {
        let text = InitialAnalysis.promptText(Self.valid)
        #expect(text.contains("Classe préparatoire scientifique MPSI"))
        #expect(text.contains("très sélective"))
        #expect(text.contains("MPSI ou prépa intégrée ?"))
        #expect(!text.contains("{") && !text.contains("atouts") && !text.contains("\"selectivite\""))
    }

    // MARK: pass 2

    static func words(_ count: Int) -> String {
        let sentence = ["Travaillez", "par", "séances", "courtes", "et", "régulières,", "reliées", "à", "vos", "réponses."]
        return (0..<count).map { sentence[$0 % sentence.count] }.joined(separator: " ")
    }

    func pass2(_ answer: String) -> String? {
        try? PassValidation.checkpoint(for: .psychopedagogique, answer: answer).stringValue
    }

    @Test func psychopedagogicalLengthBounds() {
        #expect(pass2(Self.words(249)) == nil)
        #expect(pass2(Self.words(250)) == Self.words(250))
        #expect(pass2(Self.words(1200)) == Self.words(1200))
        #expect(pass2(Self.words(1201)) == nil)
        #expect(pass2("Trop court.") == nil)
    }

    @Test func psychopedagogicalTextTrimmedAndUnfenced() {
        let text = Self.words(300)
        #expect(pass2("  " + text + "\n") == text)
        #expect(pass2("```\n" + text + "\n```") == text)
    }

    @Test func psychopedagogicalHeadingRefused() {
        let text = Self.words(300)
        #expect(pass2("# Analyse\n\n" + text) == nil)
        #expect(pass2(text + "\n\n## Conseils\n\n" + Self.words(20)) == nil)
        #expect(pass2(text + "\n   ### Méthodes") == nil)
        // A `#` inside a line is not a heading.
        #expect(pass2(text + " Objectif n°1 : le #travail régulier.") != nil)
    }

    @Test func psychopedagogicalHTMLRefused() {
        let text = Self.words(300)
        for html in ["<b>important</b>", "<script>alert(1)</script>", "<!-- note -->", "fin</p>", "<br>"] {
            #expect(pass2(text + " " + html) == nil, "\(html)")
        }
        // Comparisons are not HTML.
        #expect(pass2(text + " Si votre moyenne est < 10 ou 8 <12, demandez de l'aide.") != nil)
    }

    // MARK: pass 3

    @Test func reportDraftOnlyLosesItsFence() throws {
        let report = "# Bilan\n\nUn bilan sans les huit titres : la vérification de structure est faite plus tard."
        #expect(try PassValidation.checkpoint(for: .terrain, answer: report) == .string(report))
        #expect(try PassValidation.checkpoint(for: .terrain, answer: "```markdown\n" + report + "\n```") == .string(report))
        #expect(try PassValidation.checkpoint(for: .terrain, answer: "\n\n" + report + "\n  ") == .string(report))
    }

    @Test func emptyReportRefused() {
        for answer in ["", "   \n\t", "```\n```", "```markdown\n\n```"] {
            #expect((try? PassValidation.checkpoint(for: .terrain, answer: answer)) == nil, "\(answer.debugDescription)")
        }
    }
}
