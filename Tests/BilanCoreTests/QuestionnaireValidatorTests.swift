import Testing
import BilanTestSupport
@testable import BilanCore

/// SPEC §5: every rule of the questionnaire, accepted and refused, with the field at fault.
@Suite("Questionnaire validation")
struct QuestionnaireValidatorTests {
    /// A minimal valid questionnaire.
    static let base: JSONValue = [
        "niveau": "TERMINALE",
        "filiere": "GENERALE",
        "projetProfessionnel": "Devenir ingénieure en aéronautique.",
    ]

    func refusal(_ input: JSONValue) -> QuestionnaireError? {
        do {
            _ = try QuestionnaireValidator.validate(input)
            return nil
        } catch {
            return error
        }
    }

    func accepted(_ input: JSONValue) -> JSONValue? {
        try? QuestionnaireValidator.validate(input)
    }

    func with(_ key: String, _ value: JSONValue?) -> JSONValue {
        TestSupport.setting(Self.base, key, value)
    }

    // MARK: required fields

    @Test func minimalQuestionnaireIsAccepted() throws {
        let result = try QuestionnaireValidator.validate(Self.base)
        #expect(result["niveau"] == "TERMINALE")
        #expect(result["filiere"] == "GENERALE")
        #expect(result["projetProfessionnel"] == "Devenir ingénieure en aéronautique.")
    }

    @Test func nonObjectIsRefused() {
        #expect(refusal(["niveau", "TERMINALE"]) != nil)
        #expect(refusal("TERMINALE") != nil)
        #expect(refusal(nil) != nil)
    }

    @Test func niveauIsRequired() {
        #expect(refusal(with("niveau", nil))?.field == "niveau")
        #expect(refusal(with("niveau", .null))?.field == "niveau")
    }

    @Test func filiereIsRequired() {
        #expect(refusal(with("filiere", nil))?.field == "filiere")
    }

    @Test func projectOrInterestsIsRequired() {
        let neither = with("projetProfessionnel", nil)
        #expect(refusal(neither)?.field == "projetProfessionnel")
        // Blank texts count as absent.
        #expect(refusal(with("projetProfessionnel", "   \n\t "))?.field == "projetProfessionnel")
        // Either one is enough.
        let interestsOnly = TestSupport.setting(neither, "centresInteret", "Les avions et la mécanique.")
        #expect(accepted(interestsOnly)?["centresInteret"] == "Les avions et la mécanique.")
        #expect(accepted(interestsOnly)?["projetProfessionnel"] == nil)
    }

    // MARK: closed vocabularies

    @Test(arguments: ["SECONDE", "PREMIERE", "TERMINALE", "POST_BAC"])
    func niveauValuesAccepted(_ niveau: String) {
        #expect(accepted(with("niveau", .string(niveau)))?["niveau"] == .string(niveau))
    }

    @Test(arguments: ["terminale", "CM2", "", "TERMINALE "] as [JSONValue] + [12, true, ["TERMINALE"]])
    func niveauOtherValuesRefused(_ value: JSONValue) {
        #expect(refusal(with("niveau", value))?.field == "niveau")
    }

    @Test(arguments: ["GENERALE", "TECHNOLOGIQUE", "PROFESSIONNELLE"])
    func filiereValuesAccepted(_ filiere: String) {
        #expect(accepted(with("filiere", .string(filiere)))?["filiere"] == .string(filiere))
    }

    @Test func filiereOtherValuesRefused() {
        #expect(refusal(with("filiere", "SCIENTIFIQUE"))?.field == "filiere")
        #expect(refusal(with("filiere", 1))?.field == "filiere")
    }

    @Test(arguments: ["STI2D", "STMG", "ST2S", "STL", "STD2A", "STHR", "S2TMD", "STAV"])
    func serieAcceptedWithTechnologicalTrack(_ serie: String) {
        let input = TestSupport.setting(with("filiere", "TECHNOLOGIQUE"), "serie", .string(serie))
        #expect(accepted(input)?["serie"] == .string(serie))
    }

    @Test func serieRefusedOutsideTechnologicalTrack() {
        #expect(refusal(with("serie", "STI2D"))?.field == "serie")
        let pro = TestSupport.setting(with("filiere", "PROFESSIONNELLE"), "serie", "STMG")
        #expect(refusal(pro)?.field == "serie")
    }

    @Test func unknownSerieRefused() {
        let input = TestSupport.setting(with("filiere", "TECHNOLOGIQUE"), "serie", "S")
        #expect(refusal(input)?.field == "serie")
    }

    @Test func allThirteenSpecialitesAccepted() {
        let all = [
            "MATHEMATIQUES", "PHYSIQUE_CHIMIE", "SVT", "SES", "HGGSP", "HLP", "LLCER", "LCA", "NSI", "SI", "ARTS",
            "EPPCS", "BIOLOGIE_ECOLOGIE",
        ]
        for name in all {
            #expect(accepted(with("specialites", [.string(name)]))?["specialites"] == [.string(name)], "\(name)")
        }
    }

    @Test func upToThreeSpecialites() {
        let three: JSONValue = ["MATHEMATIQUES", "PHYSIQUE_CHIMIE", "NSI"]
        #expect(accepted(with("specialites", three))?["specialites"] == three)
        let four: JSONValue = ["MATHEMATIQUES", "PHYSIQUE_CHIMIE", "NSI", "SVT"]
        #expect(refusal(with("specialites", four))?.field == "specialites")
    }

    @Test func specialitesRefusals() {
        #expect(refusal(with("specialites", ["MATHEMATIQUES", "MATHEMATIQUES"]))?.field == "specialites")
        #expect(refusal(with("specialites", ["PHILOSOPHIE"]))?.field == "specialites")
        #expect(refusal(with("specialites", ["mathematiques"]))?.field == "specialites")
        #expect(refusal(with("specialites", "MATHEMATIQUES"))?.field == "specialites")
        #expect(refusal(with("specialites", [1]))?.field == "specialites")
        // Options are not spécialités.
        #expect(refusal(with("specialites", ["MATHS_EXPERTES"]))?.field == "specialites")
    }

    @Test func options() {
        let all: JSONValue = ["MATHS_EXPERTES", "MATHS_COMPLEMENTAIRES", "DGEMC"]
        #expect(accepted(with("options", all))?["options"] == all)
        #expect(refusal(with("options", ["LATIN"]))?.field == "options")
        #expect(refusal(with("options", ["DGEMC", "DGEMC"]))?.field == "options")
        #expect(refusal(with("options", "DGEMC"))?.field == "options")
    }

    @Test func typesEtudes() {
        let all: JSONValue = [
            "CPGE", "LICENCE", "BUT", "BTS", "ECOLE_INGENIEUR_POSTBAC", "ECOLE_COMMERCE", "SANTE", "ARTS", "AUTRE",
        ]
        #expect(accepted(with("typesEtudes", all))?["typesEtudes"] == all)
        #expect(refusal(with("typesEtudes", ["MASTER"]))?.field == "typesEtudes")
        #expect(refusal(with("typesEtudes", ["BUT", "BUT"]))?.field == "typesEtudes")
    }

    @Test(arguments: ["BAC_2", "BAC_3", "BAC_5", "BAC_8", "INDECIS"])
    func dureeEtudesAccepted(_ value: String) {
        #expect(accepted(with("dureeEtudes", .string(value)))?["dureeEtudes"] == .string(value))
    }

    @Test func dureeEtudesRefused() {
        #expect(refusal(with("dureeEtudes", "BAC_4"))?.field == "dureeEtudes")
        #expect(refusal(with("dureeEtudes", 5))?.field == "dureeEtudes")
    }

    @Test(arguments: ["LOCALE", "REGIONALE", "NATIONALE", "INTERNATIONALE"])
    func mobiliteAccepted(_ value: String) {
        #expect(accepted(with("mobilite", .string(value)))?["mobilite"] == .string(value))
    }

    @Test func mobiliteRefused() {
        #expect(refusal(with("mobilite", "MONDIALE"))?.field == "mobilite")
        #expect(refusal(with("mobilite", ["LOCALE"]))?.field == "mobilite")
    }

    @Test func alternanceMustBeABoolean() {
        #expect(accepted(with("alternance", true))?["alternance"] == true)
        #expect(accepted(with("alternance", false))?["alternance"] == false)
        #expect(refusal(with("alternance", "true"))?.field == "alternance")
        #expect(refusal(with("alternance", "on"))?.field == "alternance")
        #expect(refusal(with("alternance", 1))?.field == "alternance")
    }

    // MARK: grades

    @Test func gradesBoundsAccepted() {
        let grades: JSONValue = ["generale": 0, "mathematiques": 20, "physique_chimie": 14.25]
        #expect(accepted(with("moyennes", grades))?["moyennes"] == grades)
    }

    @Test(arguments: [-0.5, 20.5, 100, -1])
    func gradesOutOfRangeRefused(_ grade: Double) {
        let field = refusal(with("moyennes", ["mathematiques": .number(grade)]))?.field
        #expect(field == "moyennes.mathematiques" || field == "moyennes")
    }

    @Test func gradeAsTextRefused() {
        let field = refusal(with("moyennes", ["mathematiques": "15"]))?.field
        #expect(field?.hasPrefix("moyennes") == true)
        #expect(refusal(with("moyennes", ["mathematiques": nil]))?.field?.hasPrefix("moyennes") == true)
    }

    /// An empty grade object is "no grades": the key is left out of the stored
    /// answers (as for an empty `matieresPreferees`), never stored as `null`.
    @Test func emptyGradesAreAbsentNotNull() throws {
        let result = try QuestionnaireValidator.validate(with("moyennes", [:]))
        #expect(result["moyennes"] == nil)
        #expect(!result.serialized.contains("null"))
    }

    @Test func gradesMustBeAnObject() {
        #expect(refusal(with("moyennes", [15, 16]))?.field == "moyennes")
        #expect(refusal(with("moyennes", 15))?.field == "moyennes")
    }

    @Test func gradeKeys() {
        let thirty = TestSupport.repeated("a", 30)
        #expect(accepted(with("moyennes", .object([(thirty, .number(12))]))) != nil)
        #expect(accepted(with("moyennes", ["langue_vivante_2": 12, "svt": 11])) != nil)
        for bad in [TestSupport.repeated("a", 31), "Mathematiques", "mathématiques", "maths-expertes", "maths expertes", ""] {
            #expect(refusal(with("moyennes", .object([(bad, .number(12))])))?.field?.hasPrefix("moyennes") == true, "\(bad)")
        }
    }

    @Test func atMostTwentyGradeKeys() {
        let twenty = JSONValue.object((1...20).map { ("matiere_\($0)", JSONValue.number(10)) })
        #expect(accepted(with("moyennes", twenty)) != nil)
        let twentyOne = JSONValue.object((1...21).map { ("matiere_\($0)", JSONValue.number(10)) })
        #expect(refusal(with("moyennes", twentyOne))?.field == "moyennes")
    }

    // MARK: free texts

    @Test(arguments: QuestionnaireSchema.freeTextFields)
    func freeTextLengthLimit(_ field: String) {
        let ok = TestSupport.repeated("a", 2000)
        #expect(accepted(with(field, .string(ok)))?[field] == .string(ok))
        #expect(refusal(with(field, .string(ok + "a")))?.field == field)
    }

    @Test func multiByteCharactersCountOnce() {
        let twoThousand = TestSupport.repeated("é", 2000)  // 4,000 bytes of UTF-8
        #expect(twoThousand.utf8.count == 4000)
        #expect(accepted(with("commentaire", .string(twoThousand)))?["commentaire"] == .string(twoThousand))
        #expect(refusal(with("commentaire", .string(twoThousand + "é")))?.field == "commentaire")
    }

    @Test(arguments: ["\u{0}", "\u{7}", "\u{85}", "\u{1B}", "\u{7F}", "\u{9F}"])
    func controlCharactersRefused(_ control: String) {
        #expect(refusal(with("pointsForts", .string("Avant" + control + "après")))?.field == "pointsForts")
        #expect(refusal(with("projetProfessionnel", .string("Projet " + control)))?.field == "projetProfessionnel")
    }

    @Test func newlinesAndTabsAccepted() {
        let text = "Ligne 1\nLigne 2\r\n\tindentée"
        let result = accepted(with("difficultes", .string(text)))
        #expect(result?["difficultes"]?.stringValue?.contains("Ligne 2") == true)
        #expect(result?["difficultes"]?.stringValue?.contains("\tindentée") == true)
    }

    @Test func freeTextMustBeText() {
        #expect(refusal(with("commentaire", 42))?.field == "commentaire")
        #expect(refusal(with("centresInteret", ["a"]))?.field == "centresInteret")
    }

    @Test func matieresPreferees() {
        #expect(accepted(with("matieresPreferees", ["mathématiques", "physique"]))?["matieresPreferees"]
            == ["mathématiques", "physique"])
        #expect(refusal(with("matieresPreferees", ["maths\u{0}"]))?.field == "matieresPreferees")
        #expect(refusal(with("matieresPreferees", [1]))?.field == "matieresPreferees")
        #expect(refusal(with("matieresPreferees", "maths"))?.field == "matieresPreferees")
    }

    // MARK: unknown keys and canonical form

    @Test func unknownKeysRefusedNamingTheKey() {
        let error = refusal(with("age", 17))
        #expect(error?.field == "age")
        #expect(error?.message.contains("age") == true)
        #expect(refusal(with("__proto__", [:]))?.field == "__proto__")
        #expect(refusal(with("Niveau", "TERMINALE"))?.field == "Niveau")
    }

    @Test func canonicalOrderAndIdempotence() throws {
        let shuffled: JSONValue = [
            "commentaire": "  Merci  ",
            "alternance": false,
            "projetProfessionnel": "Ingénieur",
            "filiere": "GENERALE",
            "niveau": "PREMIERE",
        ]
        let result = try QuestionnaireValidator.validate(shuffled)
        #expect(result.objectValue?.map(\.0) == ["niveau", "filiere", "projetProfessionnel", "alternance", "commentaire"])
        #expect(result["commentaire"] == "Merci")
        #expect(try QuestionnaireValidator.validate(result) == result)
    }

    // MARK: samples

    @Test(arguments: TestSupport.sampleNames)
    func sampleValidates(_ name: String) throws {
        let bytes = try #require(TestSupport.sampleBytes(name), "cannot read \(name)")
        let json = try JSONParser.parse(bytes)
        let result = try QuestionnaireValidator.validate(json)
        #expect(result["niveau"] != nil)
        #expect(result["filiere"] != nil)
        #expect(result["projetProfessionnel"] != nil || result["centresInteret"] != nil)
        // Nothing of the sample is lost except empty values.
        for (key, value) in json.objectValue ?? [] where result[key] == nil {
            let empty = value == .null || value == [] || value == [:] || value.stringValue?.trimmingSpaces() == ""
            #expect(empty, "\(name): \(key) dropped")
        }
    }

    @Test func samplesDirectoryHoldsSixQuestionnaires() {
        let names = DirectoryListing.names(in: TestSupport.samplesDirectory)?.filter { $0.hasSuffix(".json") }
        #expect(names?.sorted() == TestSupport.sampleNames.sorted())
    }
}
