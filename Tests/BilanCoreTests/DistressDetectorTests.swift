import Testing
import BilanTestSupport
@testable import BilanCore

/// SPEC §12 « Safety », docs/REPORT-ENGINE.md: the shipped phrase list of
/// `templates/safety/detresse.txt` flags what a student in distress writes
/// (ignoring case, accents and apostrophe style, on word boundaries) and not
/// the ordinary stress of exams, so none of the six realistic samples is
/// flagged while the two adversarial distress cases are.
@Suite("Distress detection")
struct DistressDetectorTests {
    static func detector() throws -> DistressDetector {
        try DistressDetector.load(templatesDirectory: TestSupport.templatesDirectory)
    }

    @Test(arguments: [
        "je n'en peux plus",
        "Franchement je n’en peux plus de cette année.",
        "J’ai envie de mourir",
        "j'ai parfois envie de disparaître",
        "je veux me faire du mal",
        "JE N'EN PEUX PLUS",
        "je suis a bout, je pleure tout le temps",
        "Je Suis À Bout.",
        "on me harcèle au lycée",
        "on me harcele sur les reseaux",
        "Depuis la rentrée je suis harcelé par des élèves.",
        "jpp des cours",
        "j'ai des idées noires",
        "mes parents me battent",
        "j’en peux plus",
    ])
    func distressPhrasesMatch(_ text: String) throws {
        #expect(try Self.detector().matches(text), "\(text)")
    }

    @Test(arguments: [
        "Très stressée par la sélection en PASS/LAS, je dors mal avant les examens.",
        "stressée par les examens",
        "je dors mal avant les examens",
        "je panique en contrôle",
        "J'adore la mort subite du football.",
        "Les mathématiques : j'ai 8,5 de moyenne et je panique en contrôle.",
        "Je ne sais pas si ça sert à quelque chose.",
        "Ma première année de licence se passe mal.",
        "J'ai peur de rater Parcoursup.",
    ])
    func ordinaryWorriesDoNotMatch(_ text: String) throws {
        #expect(try !Self.detector().matches(text), "\(text)")
    }

    @Test func phrasesMatchOnWordBoundariesOnly() {
        let detector = DistressDetector(phrases: ["tuer", "me faire du mal"])
        #expect(detector.matches("J'ai envie de me tuer."))
        #expect(detector.matches("TUER"))
        #expect(!detector.matches("La tuerie du film m'a choquée."))
        #expect(!detector.matches("Il faut s'entuer"))
        #expect(detector.matches("je veux me faire du mal!"))
        #expect(detector.matches("me faire   du\nmal"))
        #expect(!detector.matches("me faire du malheur"))
        #expect(!detector.matches("Rome faire du mal"))
    }

    @Test func punctuationOnlyLinesMatchNothing() {
        // A line without a word would otherwise match an empty free text.
        let detector = DistressDetector(phrases: ["...", " - ", "crever"])
        #expect(!detector.matches(""))
        #expect(!detector.matches("..."))
        #expect(detector.matches("envie de crever"))
    }

    @Test(arguments: TestSupport.sampleNames)
    func realisticSamplesAreNotFlagged(_ name: String) throws {
        // terminale-sante-stress is exam stress (« je dors mal avant les examens »), not distress.
        #expect(try !Self.detector().showsDistress(TestSupport.sample(name)), "\(name)")
    }

    @Test(arguments: ["detresse-explicite.json", "harcelement.json"])
    func adversarialDistressCasesAreFlagged(_ name: String) throws {
        let path = TestSupport.repositoryRoot + "/fixtures/questionnaires/adversarial/" + name
        let bytes = try #require(readFileBytes(path), "\(path)")
        let answers = try QuestionnaireValidator.validate(try JSONParser.parse(bytes))
        #expect(try Self.detector().showsDistress(answers), "\(name)")
    }

    @Test func onlyFreeTextsAreRead() throws {
        let detector = try Self.detector()
        let base: JSONValue = ["niveau": "TERMINALE", "filiere": "GENERALE", "centresInteret": "La lecture."]
        #expect(!detector.showsDistress(base))
        for field in QuestionnaireSchema.freeTextFields {
            #expect(detector.showsDistress(TestSupport.setting(base, field, "je n'en peux plus")), "\(field)")
        }
    }

    @Test func emptyPhraseFileRefused() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("safety/detresse.txt", "# que des commentaires\n\n")
        #expect(throws: TemplateFileError.self) { try DistressDetector.load(templatesDirectory: directory.path) }
        directory.delete("safety/detresse.txt")
        #expect(throws: TemplateFileError.self) { try DistressDetector.load(templatesDirectory: directory.path) }
    }
}
