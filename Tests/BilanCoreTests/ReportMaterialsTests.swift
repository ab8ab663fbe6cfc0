import Testing
import BilanTestSupport
@testable import BilanCore

/// docs/REPORT-ENGINE.md « Files under templates/ »: the generator loads the
/// labels, the facts, the distress phrases and one instruction file per
/// niveau at start; a missing file or a malformed line stops it there, with
/// an error naming the file (and the line). Checked on a copy of the shipped
/// templates in a temporary directory.
@Suite("Report materials")
struct ReportMaterialsTests {
    static let files = [
        "labels.txt", "facts.txt", "safety/detresse.txt", "prompts/niveaux/seconde.txt", "prompts/niveaux/premiere.txt",
        "prompts/niveaux/terminale.txt", "prompts/niveaux/post_bac.txt", "parcoursup/familles.txt",
        "parcoursup/departements.txt",
    ]

    /// A copy of the files the materials read, in a fresh temporary directory.
    static func copy() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        do {
            for file in files {
                let text = try #require(readTextFile(TestSupport.templatesDirectory + "/" + file), "templates/\(file)")
                try directory.write(file, text)
            }
        } catch {
            directory.remove()
            throw error
        }
        return directory
    }

    func loadError(_ directory: TemporaryDirectory) -> TemplateFileError? {
        do {
            _ = try ReportMaterials.load(templatesDirectory: directory.path)
            return nil
        } catch {
            return error
        }
    }

    @Test func shippedTemplatesLoad() throws {
        let materials = try TestSupport.materials()
        #expect(Set(materials.levelInstructions.keys) == QuestionnaireSchema.niveaux)
        #expect(materials.levelInstructions.values.allSatisfy { !$0.isEmpty })
        #expect(materials.labels.missingCodes().isEmpty)
        #expect(!materials.facts.all.isEmpty)
        #expect(ReportMaterials.levelFile("POST_BAC") == "prompts/niveaux/post_bac.txt")
    }

    @Test func copyLoads() throws {
        let directory = try Self.copy()
        defer { directory.remove() }
        #expect(loadError(directory) == nil)
        let copied = try ReportMaterials.load(templatesDirectory: directory.path)
        #expect(copied.levelInstructions == (try TestSupport.materials()).levelInstructions)
    }

    @Test(arguments: ["seconde", "premiere", "terminale", "post_bac"])
    func missingLevelFileNamed(_ niveau: String) throws {
        let directory = try Self.copy()
        defer { directory.remove() }
        directory.delete("prompts/niveaux/\(niveau).txt")
        let failure = try #require(loadError(directory))
        #expect(failure.path == directory.path + "/prompts/niveaux/\(niveau).txt")
        #expect(failure.line == nil)
        #expect("\(failure)".contains("prompts/niveaux/\(niveau).txt"))
    }

    @Test func emptyLevelFileRefused() throws {
        let directory = try Self.copy()
        defer { directory.remove() }
        try directory.write("prompts/niveaux/premiere.txt", "  \n\n")
        let failure = try #require(loadError(directory))
        #expect(failure.path.hasSuffix("/prompts/niveaux/premiere.txt"))
    }

    @Test func badFactLineNamedWithFileAndLine() throws {
        let directory = try Self.copy()
        defer { directory.remove() }
        let facts = try #require(readTextFile(directory.path + "/facts.txt"))
        let lineCount = facts.split(separator: "\n", omittingEmptySubsequences: false).count
        // Appended after the file's last line (which ends with a newline, hence the empty last element).
        let appended = facts.hasSuffix("\n") ? lineCount : lineCount + 1
        try directory.write("facts.txt", facts + (facts.hasSuffix("\n") ? "" : "\n") + "2026-2027 | 2027-02-30 | https://www.onisep.fr/ | Date impossible.\n")
        let failure = try #require(loadError(directory))
        #expect(failure.path == directory.path + "/facts.txt")
        #expect(failure.line == appended)
        #expect("\(failure)".contains("facts.txt line \(appended): "))
    }

    @Test func badLabelLineNamedWithFileAndLine() throws {
        let directory = try Self.copy()
        defer { directory.remove() }
        try directory.write("labels.txt", "# libellés\nchamp.niveau: Niveau\n")
        let failure = try #require(loadError(directory))
        #expect(failure.path == directory.path + "/labels.txt")
        #expect(failure.line == 2)
    }

    @Test func missingDistressFileNamed() throws {
        let directory = try Self.copy()
        defer { directory.remove() }
        directory.delete("safety/detresse.txt")
        let failure = try #require(loadError(directory))
        #expect(failure.path == directory.path + "/safety/detresse.txt")
    }

    @Test func temporaryDirectoryIsRemoved() throws {
        let directory = try Self.copy()
        #expect(DirectoryListing.names(in: directory.path)?.isEmpty == false)
        directory.remove()
        #expect(DirectoryListing.names(in: directory.path) == nil)
    }
}
