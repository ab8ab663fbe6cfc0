import Testing
import BilanTestSupport
@testable import BilanCore

/// SPEC §13: the optional `departement` answer, an INSEE code, validated
/// like every coded answer, kept by the no-JS form, worded in the prompt.
@Suite("Questionnaire: departement")
struct DepartementAnswerTests {
    static func answers(_ departement: JSONValue) -> JSONValue {
        ["niveau": "TERMINALE", "filiere": "GENERALE", "centresInteret": "robotique", "departement": departement]
    }

    @Test(arguments: ["01", "09", "19", "21", "2A", "2B", "35", "95", "971", "975", "976"])
    func inseeCodesAreAccepted(_ code: String) throws {
        #expect(try QuestionnaireValidator.validate(Self.answers(.string(code)))["departement"] == .string(code))
    }

    @Test(arguments: ["00", "20", "96", "99", "970", "977", "2a", "1", "35 ", "Bretagne"])
    func otherCodesAreRefusedNamingTheField(_ code: String) {
        #expect(throws: QuestionnaireError(field: "departement", "Valeur non reconnue pour le département.")) {
            try QuestionnaireValidator.validate(Self.answers(.string(code)))
        }
    }

    @Test func aNumberIsNotACode() {
        #expect(throws: QuestionnaireError.self) { try QuestionnaireValidator.validate(Self.answers(35)) }
    }

    @Test func itIsOptionalAndStoredAfterTheMobility() throws {
        var members = Self.answers("35").objectValue!.filter { $0.0 != "departement" }
        #expect(try QuestionnaireValidator.validate(.object(members))["departement"] == nil)
        members += [("mobilite", "REGIONALE"), ("departement", "35")]
        let keys = try QuestionnaireValidator.validate(.object(members)).objectValue!.map(\.0)
        #expect(keys.suffix(2) == ["mobilite", "departement"])
    }

    @Test func theNoJSFormKeepsItAndAnEmptyChoiceIsAbsent() throws {
        let form = try QuestionnaireForm.json(from: [
            ("niveau", "TERMINALE"), ("filiere", "GENERALE"), ("centresInteret", "robotique"), ("departement", "2B"),
        ])
        #expect(try QuestionnaireValidator.validate(form)["departement"] == "2B")
        let empty = try QuestionnaireForm.json(from: [("niveau", "TERMINALE"), ("departement", "")])
        #expect(empty["departement"] == nil)
    }

    @Test func thePromptNamesTheDepartement() throws {
        let labels = try AnswerLabels.load(templatesDirectory: TestSupport.templatesDirectory)
        let block = AnswerWording(labels: labels).dataBlock(try QuestionnaireValidator.validate(Self.answers("35")))
        #expect(block.contains("- Département : Ille-et-Vilaine"))
    }
}
