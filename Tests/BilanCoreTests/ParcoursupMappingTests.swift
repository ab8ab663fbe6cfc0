import Testing
import BilanTestSupport
@testable import BilanCore

/// The editable files of `templates/parcoursup/` (typesEtudes → families,
/// département → académie and région) and the request they make of a
/// questionnaire: the mobility scope, the home département, the average.
@Suite("Parcoursup mapping")
struct ParcoursupMappingTests {
    static func mapping() throws -> ParcoursupMapping {
        try ParcoursupMapping.load(templatesDirectory: TestSupport.templatesDirectory)
    }

    @Test func typesEtudesMapToTheDatasetFamilies() throws {
        let families = try Self.mapping().families
        #expect(families.families(for: ["CPGE"]) == [.init(fili: "CPGE")])
        #expect(families.families(for: ["BUT"]).map(\.fili) == ["BUT", "DUT"])
        #expect(families.families(for: ["SANTE"]).map(\.fili) == ["PASS", "Licence_Las", "IFSI"])
        #expect(families.families(for: ["ARTS"]) == [.init(fili: "Autre formation", typePrefix: "DN MADE")])
        // Each family once, in the order of the answers.
        #expect(families.families(for: ["LICENCE", "SANTE"]).map(\.fili) == ["Licence", "Licence_Las", "PASS", "IFSI"])
        for code in QuestionnaireSchema.typesEtudes { #expect(!families.families(for: [code]).isEmpty, "\(code)") }
    }

    @Test func everyDepartementHasItsAcademieAndRegion() throws {
        let geography = try Self.mapping().geography
        #expect(geography.places.count == QuestionnaireSchema.departements.count)
        #expect(geography.academie(of: "35") == "Rennes" && geography.region(of: "35") == "Bretagne")
        #expect(geography.academie(of: "2A") == "Corse" && geography.region(of: "2B") == "Corse")
        #expect(geography.academie(of: "93") == "Créteil" && geography.region(of: "93") == "Île-de-France")
        #expect(geography.academie(of: "76") == "Normandie" && geography.academie(of: "14") == "Normandie")
        #expect(geography.region(of: "974") == "La Réunion")
        #expect(geography.departements(inRegion: "Bretagne") == ["22", "29", "35", "56"])
        #expect(geography.departements(inAcademie: "Versailles") == ["78", "91", "92", "95"])
        #expect(geography.departements(inRegion: "Île-de-France").count == 8)
        #expect(geography.departements(inRegion: "Occitanie").count == 13)
    }

    @Test func everyDepartementHasALabelAndTheFormOffersThemAll() throws {
        let labels = try AnswerLabels.load(templatesDirectory: TestSupport.templatesDirectory)
        #expect(labels.value("35", of: "departement") == "Ille-et-Vilaine")
        #expect(labels.value("2A", of: "departement") == "Corse-du-Sud")
        let form = readTextFile(TestSupport.repositoryRoot + "/www/orientation/index.html") ?? ""
        for code in QuestionnaireSchema.departements {
            let name = labels.value(code, of: "departement").replacing("'", with: "&#x27;")
            #expect(form.contains("<option value=\"\(code)\">\(code) — \(name)</option>"), "\(code) \(name)")
        }
        #expect(form.contains("<select id=\"departement\" name=\"departement\""))
    }

    // MARK: the request

    static func questionnaire(_ members: [(String, JSONValue)]) -> JSONValue {
        .object([("niveau", "TERMINALE"), ("filiere", "GENERALE"), ("typesEtudes", ["BUT", "CPGE"])] + members)
    }

    @Test func regionaleLooksInTheRegionWithTheHomeFirst() throws {
        let request = try #require(
            ProgrammeRequest(questionnaire: Self.questionnaire([("mobilite", "REGIONALE"), ("departement", "35")]), mapping: Self.mapping()))
        #expect(request.departements == ["22", "29", "35", "56"] && request.home == "35")
        #expect(request.scope == "région Bretagne")
        #expect(request.families.map(\.fili) == ["BUT", "DUT", "CPGE"])
    }

    @Test func localeLooksInTheAcademie() throws {
        let request = try #require(
            ProgrammeRequest(questionnaire: Self.questionnaire([("mobilite", "LOCALE"), ("departement", "45")]), mapping: Self.mapping()))
        #expect(request.departements == ["18", "28", "36", "37", "41", "45"] && request.home == "45")
        #expect(request.scope == "académie d'Orléans-Tours")
    }

    @Test func nationalOrWithoutADepartementLooksEverywhere() throws {
        for members: [(String, JSONValue)] in [
            [("mobilite", "NATIONALE"), ("departement", "35")], [("mobilite", "INTERNATIONALE"), ("departement", "35")],
            [("mobilite", "LOCALE")], [("departement", "35")],
        ] {
            let request = try #require(ProgrammeRequest(questionnaire: Self.questionnaire(members), mapping: Self.mapping()))
            #expect(request.departements == nil && request.home == nil && request.scope == "toute la France")
        }
    }

    @Test func noTypeOfStudiesMeansNothingToLookFor() throws {
        let answers: JSONValue = ["niveau": "TERMINALE", "filiere": "GENERALE", "departement": "35", "mobilite": "LOCALE"]
        #expect(ProgrammeRequest(questionnaire: answers, mapping: try Self.mapping()) == nil)
    }

    @Test func theAverageIsTheGeneralOneElseTheMeanOfTheGrades() throws {
        let general = Self.questionnaire([("moyennes", ["generale": 14.5, "mathematiques": 18])])
        #expect(ProgrammeRequest(questionnaire: general, mapping: try Self.mapping())?.average == 14.5)
        let subjects = Self.questionnaire([("moyennes", ["mathematiques": 12, "physique_chimie": 15])])
        #expect(ProgrammeRequest(questionnaire: subjects, mapping: try Self.mapping())?.average == 13.5)
        #expect(ProgrammeRequest(questionnaire: Self.questionnaire([]), mapping: try Self.mapping())?.average == nil)
    }

    // MARK: malformed files

    static func loadError(families: String? = nil, departements: String? = nil) throws -> String {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let shipped = TestSupport.templatesDirectory + "/parcoursup/"
        try directory.write("parcoursup/familles.txt", families ?? readTextFile(shipped + "familles.txt")!)
        try directory.write("parcoursup/departements.txt", departements ?? readTextFile(shipped + "departements.txt")!)
        do {
            _ = try ParcoursupMapping.load(templatesDirectory: directory.path)
            return "loaded"
        } catch {
            return error.description
        }
    }

    @Test func aMalformedLineIsNamedWithItsNumber() throws {
        let shipped = readTextFile(TestSupport.templatesDirectory + "/parcoursup/familles.txt")!
        #expect(try Self.loadError() == "loaded")
        #expect(try Self.loadError(families: "# x\nCPGE | CPGE\nMEDECINE | PASS\n").hasSuffix("familles.txt line 3: MEDECINE is not a typesEtudes code of SPEC §5"))
        #expect(try Self.loadError(families: "CPGE CPGE\n").hasSuffix("line 1: expected CODE | fili [| type de formation]"))
        #expect(try Self.loadError(families: shipped + "CPGE | CPGE\n").contains("CPGE | CPGE is given twice"))
        #expect(try Self.loadError(families: "CPGE | CPGE\n").hasSuffix("familles.txt: no family for ARTS"))
        let departements = readTextFile(TestSupport.templatesDirectory + "/parcoursup/departements.txt")!
        #expect(try Self.loadError(departements: departements + "20 | Corse | Corse\n").contains("20 is not a département code of SPEC §5"))
        #expect(try Self.loadError(departements: departements.replacing("35 | Rennes | Bretagne\n", with: ""))
            .hasSuffix("no académie and région for département 35"))
        #expect(try Self.loadError(departements: "01 | Lyon\n").hasSuffix("departements.txt line 1: expected CODE | académie | région"))
    }
}
