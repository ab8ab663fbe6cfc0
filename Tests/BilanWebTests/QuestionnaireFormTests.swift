import Testing
import BilanTestSupport
@testable import BilanCore
@testable import BilanWeb

/// SPEC §5, the no-JS form: same answers, same validation.
@Suite("Questionnaire form decoding")
struct QuestionnaireFormTests {
    func formJSON(_ body: String) throws -> JSONValue {
        let pairs = try FormDecoding.pairs(Array(body.utf8))
        return try QuestionnaireForm.json(from: pairs)
    }

    func formError(_ pairs: [(String, String)]) -> QuestionnaireError? {
        do {
            _ = try QuestionnaireForm.json(from: pairs)
            return nil
        } catch {
            return error
        }
    }

    @Test func repeatedFieldsBecomeLists() throws {
        let json = try QuestionnaireForm.json(from: [
            ("niveau", "TERMINALE"), ("specialites", "MATHEMATIQUES"), ("filiere", "GENERALE"),
            ("specialites", "SVT"), ("typesEtudes", "CPGE"),
        ])
        #expect(json["specialites"] == ["MATHEMATIQUES", "SVT"])
        #expect(json["typesEtudes"] == ["CPGE"])
        #expect(json["niveau"] == "TERMINALE")
    }

    @Test func frenchDecimalComma() throws {
        let json = try QuestionnaireForm.json(from: [("moyennes.mathematiques", "15,5"), ("moyennes.generale", "12.25")])
        #expect(json["moyennes"]?["mathematiques"] == .number(15.5))
        #expect(json["moyennes"]?["generale"] == .number(12.25))
    }

    @Test func badGradeRefusedNamingTheSubject() {
        #expect(formError([("moyennes.mathematiques", "quinze")])?.field == "moyennes.mathematiques")
        #expect(formError([("moyennes.mathematiques", "12"), ("moyennes.mathematiques", "13")])?.field
            == "moyennes.mathematiques")
    }

    @Test func alternanceCheckbox() throws {
        #expect(try QuestionnaireForm.json(from: [("alternance", "on")])["alternance"] == true)
        #expect(try QuestionnaireForm.json(from: [("alternance", "true")])["alternance"] == true)
        #expect(try QuestionnaireForm.json(from: [("alternance", "false")])["alternance"] == false)
        #expect(formError([("alternance", "peut-être")])?.field == "alternance")
    }

    @Test func emptyFieldsAreAbsent() throws {
        let json = try QuestionnaireForm.json(from: [
            ("niveau", "TERMINALE"), ("serie", ""), ("commentaire", "   "), ("specialites", ""),
            ("moyennes.svt", ""), ("alternance", ""),
        ])
        #expect(json["serie"] == nil)
        #expect(json["commentaire"] == nil)
        #expect(json["specialites"] == nil)
        #expect(json["moyennes"] == nil)
        #expect(json["alternance"] == nil)
        #expect(json["niveau"] == "TERMINALE")
    }

    @Test func repeatedScalarRefused() {
        #expect(formError([("niveau", "TERMINALE"), ("niveau", "SECONDE")])?.field == "niveau")
        #expect(formError([("alternance", "on"), ("alternance", "on")])?.field == "alternance")
    }

    @Test func unknownFormFieldRefusedByValidator() throws {
        let json = try formJSON("niveau=TERMINALE&filiere=GENERALE&projetProfessionnel=x&csrf=1")
        let error = #expect(throws: QuestionnaireError.self) { try QuestionnaireValidator.validate(json) }
        #expect(error?.field == "csrf")
    }

    /// The same answers, sent as JSON and as a form, give the same stored answers.
    @Test func formAndJSONValidateToTheSameCanonicalJSON() throws {
        let jsonBody = """
            {"niveau":"TERMINALE","filiere":"GENERALE","specialites":["MATHEMATIQUES","PHYSIQUE_CHIMIE"],
             "options":["MATHS_EXPERTES"],"moyennes":{"generale":14.5,"mathematiques":15.5},
             "matieresPreferees":["mathématiques","physique"],"centresInteret":"L'espace & les fusées",
             "projetProfessionnel":"Ingénieure aérospatiale","typesEtudes":["CPGE","ECOLE_INGENIEUR_POSTBAC"],
             "dureeEtudes":"BAC_5","mobilite":"NATIONALE","alternance":true,"pointsForts":"Rigueur",
             "difficultes":"Le stress\\nen contrôle","commentaire":"Merci !"}
            """
        let formBody =
            "niveau=TERMINALE&filiere=GENERALE&specialites=MATHEMATIQUES&specialites=PHYSIQUE_CHIMIE"
            + "&options=MATHS_EXPERTES&moyennes.generale=14%2C5&moyennes.mathematiques=15,5"
            + "&matieresPreferees=math%C3%A9matiques&matieresPreferees=physique"
            + "&centresInteret=L%27espace+%26+les+fus%C3%A9es&projetProfessionnel=Ing%C3%A9nieure+a%C3%A9rospatiale"
            + "&typesEtudes=CPGE&typesEtudes=ECOLE_INGENIEUR_POSTBAC&dureeEtudes=BAC_5&mobilite=NATIONALE"
            + "&alternance=on&pointsForts=Rigueur&difficultes=Le+stress%0Aen+contr%C3%B4le&commentaire=Merci+%21"
            + "&serie="
        let fromJSON = try QuestionnaireValidator.validate(try JSONParser.parse(jsonBody))
        let fromForm = try QuestionnaireValidator.validate(try formJSON(formBody))
        #expect(fromForm.serialized == fromJSON.serialized)
    }

    /// Browsers post a textarea's line breaks as CRLF (HTML form encoding), and
    /// the page's `maxlength="2000"` counts each break once. A 2,000-character
    /// answer with line breaks posted by the no-JS form must be accepted, and
    /// stored as the JSON variant (LF line breaks) of the same answer is.
    @Test func textareaLineBreaksFromTheFormCountOnce() throws {
        let paragraph = TestSupport.repeated("a", 199)
        let typed = Array(repeating: paragraph, count: 10).joined(separator: "\n") + "a"  // 2,000 characters
        #expect(typed.count == 2000)
        let posted = typed.replacing("\n", with: "\r\n")
        let fromForm = try? QuestionnaireValidator.validate(
            try QuestionnaireForm.json(from: [
                ("niveau", "TERMINALE"), ("filiere", "GENERALE"), ("projetProfessionnel", posted),
            ]))
        #expect(fromForm != nil)
        let fromJSON = try QuestionnaireValidator.validate([
            "niveau": "TERMINALE", "filiere": "GENERALE", "projetProfessionnel": .string(typed),
        ])
        #expect(fromForm?.serialized == fromJSON.serialized)
    }

    /// A form cannot post an empty list: unchecked boxes send nothing. The JSON
    /// variant of the same answers (`"options": []`, as in the samples) must be
    /// stored the same way, as the validator already does for empty
    /// `moyennes` and `matieresPreferees`.
    @Test func emptyListsInJSONMatchAbsentListsInForm() throws {
        let jsonBody = #"{"niveau":"TERMINALE","filiere":"TECHNOLOGIQUE","serie":"STI2D","specialites":[],"options":[],"typesEtudes":[],"matieresPreferees":[],"projetProfessionnel":"BTS"}"#
        let formBody = "niveau=TERMINALE&filiere=TECHNOLOGIQUE&serie=STI2D&projetProfessionnel=BTS"
        let fromJSON = try QuestionnaireValidator.validate(try JSONParser.parse(jsonBody))
        let fromForm = try QuestionnaireValidator.validate(try formJSON(formBody))
        #expect(fromJSON.serialized == fromForm.serialized)
    }

    /// Each sample re-encoded as the form would post it validates to the same
    /// answers (empty lists, which a form cannot send, are left out here: see
    /// `emptyListsInJSONMatchAbsentListsInForm`).
    @Test(arguments: TestSupport.sampleNames)
    func sampleAsFormGivesTheSameAnswers(_ name: String) throws {
        let bytes = try #require(TestSupport.sampleBytes(name))
        let sample = try JSONParser.parse(bytes)
        let withoutEmptyLists = JSONValue.object((sample.objectValue ?? []).filter { $0.1 != [] })
        let validated = try QuestionnaireValidator.validate(withoutEmptyLists)
        // Re-encode the validated answers as the no-JS form would post them.
        var parts: [String] = []
        for (key, value) in validated.objectValue ?? [] {
            switch value {
            case .array(let items):
                for item in items { parts.append(key + "=" + FormDecoding.encode(item.stringValue ?? "")) }
            case .object(let grades):
                for (subject, grade) in grades { parts.append("moyennes.\(subject)=" + grade.serialized) }
            case .bool(let flag):
                parts.append("alternance=" + (flag ? "on" : "false"))
            default:
                parts.append(key + "=" + FormDecoding.encode(value.stringValue ?? ""))
            }
        }
        let fromForm = try QuestionnaireValidator.validate(try formJSON(parts.joined(separator: "&")))
        #expect(fromForm.serialized == validated.serialized)
    }
}
