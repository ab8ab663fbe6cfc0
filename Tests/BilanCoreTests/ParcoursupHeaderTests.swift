import Testing
import BilanTestSupport
@testable import BilanCore

/// SPEC §13: the export's header read by name, in both of the portal's
/// styles, and the refusals that name what is wrong before any row is read.
@Suite("Parcoursup header")
struct ParcoursupHeaderTests {
    static func read(_ line: String, sessionGiven: Bool = false) throws(ParcoursupImportError) -> ParcoursupHeader {
        try ParcoursupHeader.read(Array(line.utf8)[...], file: "f.csv", sessionGiven: sessionGiven)
    }

    static func refusal(_ line: String, sessionGiven: Bool = false) -> String {
        do {
            _ = try read(line, sessionGiven: sessionGiven)
            return "accepted"
        } catch {
            return error.description
        }
    }

    @Test func theTechnicalHeaderOfTheFixtureMapsEveryField() throws {
        let header = try ParcoursupHeader.read(
            ProgrammeFixtures.headerLine(ProgrammeFixtures.technicalFile), file: "f", sessionGiven: false)
        #expect(header.style == .technical)
        #expect(header.names.count == 118)
        #expect(Set(header.columns.keys) == Set(ParcoursupField.allCases))
        #expect(header.columns[.session] == 1 && header.columns[.codAffForm] == 110)
        #expect(header.names[header.columns[.tauxAcces]! - 1] == "taux_acces_ens")
        #expect(header.names[header.columns[.formation]! - 1] == "lib_for_voe_ins")
    }

    @Test func theFrenchLabelsWithABomMapByOccurrence() throws {
        let line = ProgrammeFixtures.headerLine(ProgrammeFixtures.frenchLabelsFile)
        #expect(line.starts(with: [0xEF, 0xBB, 0xBF]))
        let header = try ParcoursupHeader.read(line, file: "f", sessionGiven: false)
        #expect(header.style == .frenchLabels)
        #expect(header.names.first == "Session")
        // « Filière de formation » twice: the title first, the programme type second.
        #expect(header.names[header.columns[.formation]! - 1] == "Filière de formation")
        #expect(header.names[header.columns[.typeFormation]! - 1] == "Filière de formation")
        #expect(header.columns[.formation]! < header.columns[.typeFormation]!)
        #expect(header.names[header.columns[.fili]! - 1] == "Filière de formation très agrégée")
        #expect(header.names[header.columns[.tauxAcces]! - 1] == "Taux d’accès")
        for field in ParcoursupField.allCases where field.isRequired { #expect(header.columns[field] != nil, "\(field)") }
    }

    @Test func labelsCompareIgnoringCaseAccentsApostrophesAndQuotes() throws {
        let line = "\"SESSION\";cod_aff_form;Etablissement;Code départemental de l'établissement;Commune de l'etablissement;"
            + "Filière de formation;Sélectivité;Filière de formation très agrégée;Taux d'accès;"
            + "Lien de la formation sur la plateforme Parcoursup;Statut de l'établissement de la filière de formation (public, privé...);"
            + "Capacité de l'établissement par formation;Effectif total des candidats pour une formation\r"
        let header = try Self.read(line)
        #expect(header.style == .frenchLabels)
        #expect(header.columns[.session] == 1 && header.columns[.statut] == 11 && header.columns[.voeux] == 13)
        #expect(header.columns[.typeFormation] == nil)
    }

    @Test func theOlderAccessRateNameIsAccepted() throws {
        let technical = "session;cod_aff_form;lib_for_voe_ins;g_ea_lib_vx;contrat_etab;dep;ville_etab;fili;select_form;"
            + "capa_fin;voe_tot;lien_form_psup;taux_acces"
        #expect(try Self.read(technical).columns[.tauxAcces] == 13)
    }

    @Test func aMissingColumnIsNamedWithTheNamesAccepted() {
        let line = "session;cod_aff_form;lib_for_voe_ins;g_ea_lib_vx;contrat_etab;dep;ville_etab;fili;select_form;capa_fin;voe_tot;lien_form_psup"
        let message = Self.refusal(line)
        #expect(message.contains("no column taux_acces_ens"))
        #expect(message.contains("taux_acces") && message.contains("« Taux d’accès »") && message.contains("nothing imported"))
    }

    @Test func theSessionColumnMayComeFromTheOption() {
        let line = "cod_aff_form;lib_for_voe_ins;g_ea_lib_vx;contrat_etab;dep;ville_etab;fili;select_form;capa_fin;voe_tot;"
            + "lien_form_psup;taux_acces_ens"
        #expect(Self.refusal(line).contains("no column session") && Self.refusal(line).contains("--session"))
        #expect(Self.refusal(line, sessionGiven: true) == "accepted")
    }

    @Test func anotherSeparatorIsNamed() {
        let comma = "session,cod_aff_form,lib_for_voe_ins,g_ea_lib_vx,dep,fili,taux_acces_ens"
        #expect(Self.refusal(comma).contains("separated by commas"))
        #expect(Self.refusal(comma.replacing(",", with: "\t")).contains("separated by tabs"))
    }

    @Test func aFileThatIsNotTheExportIsSaidToBeSo() {
        #expect(Self.refusal("<!DOCTYPE html>").contains("not the Parcoursup CSV export"))
        #expect(Self.refusal("nom;prénom;classe").contains("not the Parcoursup CSV export"))
        var latin1 = Array("session;Établissement".utf8)
        latin1[9] = 0xC9
        latin1.remove(at: 10)
        #expect(throws: ParcoursupImportError.self) { try ParcoursupHeader.read(latin1[...], file: "f", sessionGiven: false) }
    }

    @Test func quotedFieldsKeepTheirSeparatorsAndQuotes() {
        #expect(ParcoursupHeader.splitFields("a;\"b;c\";\"d \"\"e\"\"\"", separator: ";") == ["a", "b;c", "d \"e\""])
    }
}
