import BilanCore

/// Programmes as the selection returns them (SPEC §13), for the table, the
/// report check and the pass runner's tests; and the fixture exports.
public enum ProgrammeFixtures {
    public static let link = "https://dossierappel.parcoursup.fr/Candidats/public/fiches/afficherFicheFormation?g_ta_cod=4107&typeBac=0&originePc=0"

    public static let rows = [
        Programme(
            codAffForm: "4107", formation: "CPGE - MPSI", etablissement: "Lycée Chateaubriand", ville: "Rennes",
            departement: "35", statut: "Public", selective: true, tauxAcces: 43, places: 48, voeux: 812, lien: link),
        Programme(
            codAffForm: "4289", formation: "BUT - Informatique", etablissement: "IUT de Lannion", ville: "Lannion",
            departement: "22", statut: "Public", selective: true, tauxAcces: 60.5, places: 112, voeux: 2410,
            lien: "https://dossierappel.parcoursup.fr/Candidats/public/fiches/afficherFicheFormation?g_ta_cod=4289&typeBac=0&originePc=0"),
        Programme(
            codAffForm: "4275", formation: "CPGE - ECG | option [maths]", etablissement: "Lycée <Brizeux>", ville: "Quimper",
            departement: "29", statut: "Privé sous contrat d'association", selective: nil, tauxAcces: 39, places: nil,
            voeux: nil, lien: "https://example.com/fiche"),
    ]

    public static let selection = ProgrammeSelection(session: 2025, scope: "région Bretagne", rows: rows)

    /// The committed exports (fixtures/parcoursup, written by generate.py).
    public static let directory = TestSupport.repositoryRoot + "/fixtures/parcoursup"
    public static let technicalFile = directory + "/fr-esr-parcoursup-2025.csv"
    public static let frenchLabelsFile = directory + "/fr-esr-parcoursup-2024-libelles.csv"

    /// The first line of a file, as bytes.
    public static func headerLine(_ path: String) -> ArraySlice<UInt8> {
        let bytes = readFileBytes(path) ?? []
        return bytes[..<(bytes.firstIndex(of: 0x0A) ?? bytes.endIndex)]
    }
}
