import Testing
import BilanTestSupport
@testable import BilanCore

/// SPEC §12 « Dated facts », docs/REPORT-ENGINE.md « Files under templates/ »:
/// the `facts.txt` format (a malformed line is refused with its number), which
/// facts are still valid on a day, the school year of a day, and « today » in
/// Europe/Paris across midnight and the summer-time switches.
@Suite("Dated facts and the Paris calendar")
struct DatedFactsTests {
    func parse(_ lines: [String]) throws(TemplateFileError) -> DatedFacts {
        try DatedFacts.parse(lines.enumerated().map { ($0.offset + 1, $0.element) }, path: "templates/facts.txt")
    }

    /// The error for a file whose line `number` is `line` (the others are good).
    func error(_ line: String, at number: Int = 2) -> TemplateFileError? {
        var lines = Array(repeating: "* | 2030-12-31 | https://www.onisep.fr/ | ONISEP : fiches formations.", count: 3)
        lines[number - 1] = line
        do {
            _ = try parse(lines)
            return nil
        } catch {
            return error
        }
    }

    func date(_ year: Int, _ month: Int, _ day: Int) -> CivilDate { CivilDate(year: year, month: month, day: day) }

    // MARK: the format

    @Test func goodLinesParsed() throws {
        let facts = try parse([
            "2026-2027 | 2027-04-01 | https://www.parcoursup.gouv.fr/ | Confirmation des vœux jusqu'au 1er avril 2027.",
            "*   |   2030-12-31|https://www.onisep.fr/ |  ONISEP : fiches formations et métiers.  ",
            "2026-2027 | 2027-08-31 | https://www.education.gouv.fr/ | Choix A | choix B : le texte garde ses barres.",
        ]).all
        #expect(facts.count == 3)
        #expect(facts[0] == DatedFact(
            schoolYear: "2026-2027", validUntil: date(2027, 4, 1), source: "https://www.parcoursup.gouv.fr/",
            text: "Confirmation des vœux jusqu'au 1er avril 2027."))
        #expect(facts[1].schoolYear == nil)
        #expect(facts[1].validUntil == date(2030, 12, 31))
        #expect(facts[1].source == "https://www.onisep.fr/")
        #expect(facts[1].text == "ONISEP : fiches formations et métiers.")
        #expect(facts[2].text == "Choix A | choix B : le texte garde ses barres.")
    }

    @Test func promptLineShowsSourceAndValidity() throws {
        let fact = try parse(["2026-2027 | 2027-04-01 | https://www.parcoursup.gouv.fr/ | Vœux à confirmer."]).all[0]
        #expect(fact.promptLine == "- Vœux à confirmer. (source : https://www.parcoursup.gouv.fr/ ; valable jusqu'au 01/04/2027)")
    }

    @Test(arguments: [
        "2026-2027 | 2027-04-01 | https://www.onisep.fr/",           // 3 fields
        "2026-2027 2027-04-01 https://www.onisep.fr/ texte",         // 1 field
        "2026-2028 | 2027-04-01 | https://www.onisep.fr/ | texte",   // not consecutive years
        "2027-2026 | 2027-04-01 | https://www.onisep.fr/ | texte",
        "2026 | 2027-04-01 | https://www.onisep.fr/ | texte",
        "26-27 | 2027-04-01 | https://www.onisep.fr/ | texte",
        "2026/2027 | 2027-04-01 | https://www.onisep.fr/ | texte",
        "tous | 2027-04-01 | https://www.onisep.fr/ | texte",
        "2026-2027 | 2027-02-30 | https://www.onisep.fr/ | texte",   // no 30 February
        "2026-2027 | 2027-02-29 | https://www.onisep.fr/ | texte",   // 2027 is not a leap year
        "2026-2027 | 2027-13-01 | https://www.onisep.fr/ | texte",
        "2026-2027 | 2027-4-1 | https://www.onisep.fr/ | texte",
        "2026-2027 | 01/04/2027 | https://www.onisep.fr/ | texte",
        "2026-2027 | | https://www.onisep.fr/ | texte",
        "2026-2027 | 2027-04-01 | http://www.onisep.fr/ | texte",    // not https
        "2026-2027 | 2027-04-01 | www.onisep.fr | texte",
        "2026-2027 | 2027-04-01 | https:// | texte",
        "2026-2027 | 2027-04-01 | https://www.onisep.fr/a b | texte",
        "2026-2027 | 2027-04-01 | https://www.onisep.fr/ | ",         // empty text
        "2026-2027 | 2027-04-01 | https://www.onisep.fr/ |",
    ])
    func malformedLineRefusedWithItsNumber(_ line: String) {
        let failure = error(line, at: 2)
        #expect(failure != nil, "\(line)")
        #expect(failure?.line == 2, "\(line)")
        #expect(failure?.path == "templates/facts.txt")
        #expect(failure.map { "\($0)" }?.hasPrefix("templates/facts.txt line 2: ") == true)
    }

    @Test func leapDaysAndStarAccepted() {
        #expect(error("2027-2028 | 2028-02-29 | https://www.onisep.fr/ | Année bissextile.") == nil)
        #expect(error("* | 2030-12-31 | https://www.onisep.fr/ | Adresse stable.") == nil)
        #expect(error("2099-2100 | 2100-02-29 | https://www.onisep.fr/ | 2100 n'est pas bissextile.") != nil)
        #expect(error("1999-2000 | 2000-02-29 | https://www.onisep.fr/ | 2000 l'est.") == nil)
    }

    @Test func loadCountsCommentAndBlankLines() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("facts.txt", """
            # Faits datés

            2026-2027 | 2027-04-01 | https://www.parcoursup.gouv.fr/ | Vœux à confirmer.
              # un commentaire indenté
            2026-2027 | 2027-04-31 | https://www.parcoursup.gouv.fr/ | Pas de 31 avril.
            """)
        #expect(throws: TemplateFileError.self) { try DatedFacts.load(templatesDirectory: directory.path) }
        do {
            _ = try DatedFacts.load(templatesDirectory: directory.path)
        } catch {
            #expect(error.line == 5)
            #expect(error.path == directory.path + "/facts.txt")
            #expect(error.problem.contains("2027-04-31"))
        }
        try directory.write("facts.txt", "# rien\n\n2026-2027 | 2027-04-01 | https://www.onisep.fr/ | Un fait.\n")
        #expect(try DatedFacts.load(templatesDirectory: directory.path).all.count == 1)
        directory.delete("facts.txt")
        do {
            _ = try DatedFacts.load(templatesDirectory: directory.path)
            Issue.record("a missing facts file must be an error")
        } catch {
            #expect(error.line == nil)
            #expect(error.path.hasSuffix("/facts.txt"))
        }
    }

    // MARK: validity

    static let facts = DatedFacts([
        DatedFact(schoolYear: "2026-2027", validUntil: CivilDate(year: 2027, month: 4, day: 1), source: "https://www.parcoursup.gouv.fr/", text: "A"),
        DatedFact(schoolYear: nil, validUntil: CivilDate(year: 2030, month: 12, day: 31), source: "https://www.onisep.fr/", text: "B"),
        DatedFact(schoolYear: "2025-2026", validUntil: CivilDate(year: 2026, month: 8, day: 31), source: "https://www.onisep.fr/", text: "C"),
    ])

    @Test func validUntilIsInclusive() {
        #expect(Self.facts.valid(on: date(2026, 8, 31)).map(\.text) == ["A", "B", "C"])
        #expect(Self.facts.valid(on: date(2026, 9, 1)).map(\.text) == ["A", "B"])
        #expect(Self.facts.valid(on: date(2027, 4, 1)).map(\.text) == ["A", "B"])
        #expect(Self.facts.valid(on: date(2027, 4, 2)).map(\.text) == ["B"])
        #expect(Self.facts.valid(on: date(2031, 1, 1)).isEmpty)
    }

    @Test func coversSchoolYear() {
        #expect(Self.facts.coversSchoolYear(of: date(2026, 12, 2)))
        #expect(Self.facts.coversSchoolYear(of: date(2027, 4, 1)))
        // The 2026-2027 fact has expired: only the yearless one is left.
        #expect(!Self.facts.coversSchoolYear(of: date(2027, 4, 2)))
        // 2025-2026 tagged, and still valid on its last day.
        #expect(Self.facts.coversSchoolYear(of: date(2026, 8, 31)))
        #expect(!Self.facts.coversSchoolYear(of: date(2027, 9, 1)))
        #expect(!DatedFacts([]).coversSchoolYear(of: date(2026, 12, 2)))
    }

    // MARK: the civil calendar

    @Test func schoolYearChangesOnTheFirstOfSeptember() {
        #expect(date(2027, 8, 31).schoolYear == "2026-2027")
        #expect(date(2027, 9, 1).schoolYear == "2027-2028")
        #expect(date(2026, 12, 2).schoolYear == "2026-2027")
        #expect(date(2027, 1, 1).schoolYear == "2026-2027")
        #expect(date(2026, 8, 31).schoolYear == "2025-2026")
    }

    @Test func civilDateTextForms() {
        #expect(date(2027, 4, 1).frenchLong == "1er avril 2027")
        #expect(date(2026, 12, 2).frenchLong == "2 décembre 2026")
        #expect(date(2027, 8, 15).frenchLong == "15 août 2027")
        #expect(date(2027, 4, 1).frenchNumeric == "01/04/2027")
        #expect(date(2026, 12, 2).description == "2026-12-02")
        #expect(CivilDate(iso: "2026-12-02") == date(2026, 12, 2))
        #expect(CivilDate(iso: "2026-12-32") == nil)
        #expect(CivilDate(iso: "2026-12") == nil)
        #expect(date(2026, 12, 31) < date(2027, 1, 1))
        #expect(date(2027, 3, 31) < date(2027, 4, 1))
        #expect(!(date(2027, 4, 1) < date(2027, 4, 1)))
    }

    // MARK: today in Paris

    /// Instants (Unix seconds, UTC) and the Paris date they fall on. The
    /// expected dates come from the system's tz database
    /// (`TZ=Europe/Paris date -d @SECONDS`), not from the code under test.
    /// Winter is UTC+1, summer UTC+2; 2026 switches on 29 March and 25
    /// October at 01:00 UTC.
    static let parisDays: [(seconds: Int64, utc: String, paris: CivilDate)] = [
        (1_774_738_799, "2026-03-28T22:59:59Z", CivilDate(year: 2026, month: 3, day: 28)),  // 23:59:59 CET
        (1_774_738_800, "2026-03-28T23:00:00Z", CivilDate(year: 2026, month: 3, day: 29)),  // 00:00 CET
        (1_774_740_600, "2026-03-28T23:30:00Z", CivilDate(year: 2026, month: 3, day: 29)),  // 00:30 CET
        (1_774_745_999, "2026-03-29T00:59:59Z", CivilDate(year: 2026, month: 3, day: 29)),  // 01:59:59 CET
        (1_774_746_000, "2026-03-29T01:00:00Z", CivilDate(year: 2026, month: 3, day: 29)),  // 03:00 CEST
        (1_774_821_599, "2026-03-29T21:59:59Z", CivilDate(year: 2026, month: 3, day: 29)),  // 23:59:59 CEST
        (1_774_821_600, "2026-03-29T22:00:00Z", CivilDate(year: 2026, month: 3, day: 30)),  // 00:00 CEST
        (1_774_823_400, "2026-03-29T22:30:00Z", CivilDate(year: 2026, month: 3, day: 30)),  // 00:30 CEST
        (1_792_879_199, "2026-10-24T21:59:59Z", CivilDate(year: 2026, month: 10, day: 24)),  // 23:59:59 CEST
        (1_792_881_000, "2026-10-24T22:30:00Z", CivilDate(year: 2026, month: 10, day: 25)),  // 00:30 CEST
        (1_792_889_999, "2026-10-25T00:59:59Z", CivilDate(year: 2026, month: 10, day: 25)),  // 02:59:59 CEST
        (1_792_890_000, "2026-10-25T01:00:00Z", CivilDate(year: 2026, month: 10, day: 25)),  // 02:00 CET
        (1_792_967_400, "2026-10-25T22:30:00Z", CivilDate(year: 2026, month: 10, day: 25)),  // 23:30 CET
        (1_792_969_199, "2026-10-25T22:59:59Z", CivilDate(year: 2026, month: 10, day: 25)),  // 23:59:59 CET
        (1_792_969_200, "2026-10-25T23:00:00Z", CivilDate(year: 2026, month: 10, day: 26)),  // 00:00 CET
        (1_796_165_999, "2026-12-01T22:59:59Z", CivilDate(year: 2026, month: 12, day: 1)),
        (1_796_166_000, "2026-12-01T23:00:00Z", CivilDate(year: 2026, month: 12, day: 2)),
        (1_798_757_999, "2026-12-31T22:59:59Z", CivilDate(year: 2026, month: 12, day: 31)),
        (1_798_758_000, "2026-12-31T23:00:00Z", CivilDate(year: 2027, month: 1, day: 1)),
        (1_814_392_799, "2027-06-30T21:59:59Z", CivilDate(year: 2027, month: 6, day: 30)),
        (1_814_392_800, "2027-06-30T22:00:00Z", CivilDate(year: 2027, month: 7, day: 1)),
    ]

    @Test func todayInParis() {
        for (seconds, utc, paris) in Self.parisDays {
            // The table's instants are what they say (checked with the code's own UTC formatter).
            #expect(UTCTime.iso8601(seconds * 1000) == String(utc.dropLast()) + ".000Z")
            #expect(ParisCalendar.today(nowMilliseconds: seconds * 1000) == paris, "\(utc)")
            #expect(ParisCalendar.today(nowMilliseconds: seconds * 1000 + 999) == paris, "\(utc) + 999 ms")
        }
    }

    @Test func summerTimeSwitchesAtOneUTC() {
        // 2026: 29 March and 25 October; 2027: 28 March and 31 October (last Sundays).
        for (start, end) in [(Int64(1_774_746_000), Int64(1_792_890_000)), (1_806_195_600, 1_824_944_400)] {
            #expect(!ParisCalendar.isSummerTime(start * 1000 - 1))
            #expect(ParisCalendar.isSummerTime(start * 1000))
            #expect(ParisCalendar.isSummerTime(end * 1000 - 1))
            #expect(!ParisCalendar.isSummerTime(end * 1000))
        }
    }

    // MARK: the shipped file

    @Test func shippedFactsLoadAndCoverTheSchoolYear() throws {
        let facts = try DatedFacts.load(templatesDirectory: TestSupport.templatesDirectory)
        #expect(!facts.all.isEmpty)
        let today = date(2026, 12, 2)
        #expect(facts.coversSchoolYear(of: today))
        #expect(!facts.valid(on: today).isEmpty)
        // Every source may be cited in a report: https to an allowed host.
        for fact in facts.all {
            let host = ReportLinks.host(of: fact.source) ?? ""
            #expect(fact.source.hasPrefix("https://") && ReportOutline.defaultLinkHosts.contains(host), "\(fact.source)")
        }
    }
}
