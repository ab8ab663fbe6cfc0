/// The closed vocabularies and limits of SPEC §5, in one place: the validator,
/// the form decoder and the prompts all read them from here.
public enum QuestionnaireSchema {
    public static let niveaux: Set<String> = ["SECONDE", "PREMIERE", "TERMINALE", "POST_BAC"]
    public static let filieres: Set<String> = ["GENERALE", "TECHNOLOGIQUE", "PROFESSIONNELLE"]
    public static let series: Set<String> = ["STI2D", "STMG", "ST2S", "STL", "STD2A", "STHR", "S2TMD", "STAV"]
    public static let specialites: Set<String> = [
        "MATHEMATIQUES", "PHYSIQUE_CHIMIE", "SVT", "SES", "HGGSP", "HLP", "LLCER", "LCA", "NSI", "SI", "ARTS",
        "EPPCS", "BIOLOGIE_ECOLOGIE",
    ]
    public static let options: Set<String> = ["MATHS_EXPERTES", "MATHS_COMPLEMENTAIRES", "DGEMC"]
    public static let typesEtudes: Set<String> = [
        "CPGE", "LICENCE", "BUT", "BTS", "ECOLE_INGENIEUR_POSTBAC", "ECOLE_COMMERCE", "SANTE", "ARTS", "AUTRE",
    ]
    public static let durees: Set<String> = ["BAC_2", "BAC_3", "BAC_5", "BAC_8", "INDECIS"]
    public static let mobilites: Set<String> = ["LOCALE", "REGIONALE", "NATIONALE", "INTERNATIONALE"]
    /// INSEE codes (SPEC §13): `01`–`95` (no `20` since Corsica became `2A`
    /// and `2B`), and the overseas `971`–`976`.
    public static let departements: Set<String> = {
        var codes = Set((1...95).filter { $0 != 20 }.map { $0 < 10 ? "0\($0)" : "\($0)" })
        codes.formUnion(["2A", "2B"])
        codes.formUnion((971...976).map { String($0) })
        return codes
    }()

    public static let freeTextFields = ["centresInteret", "projetProfessionnel", "pointsForts", "difficultes", "commentaire"]
    /// Keys whose form-encoded value is a list of repeated fields.
    public static let listFields: Set<String> = ["specialites", "options", "matieresPreferees", "typesEtudes"]

    public static let maxSpecialites = 3
    public static let maxFreeTextLength = 2000
    public static let maxGradeKeys = 20
    public static let maxGradeKeyLength = 30
    public static let maxPreferredSubjects = 20
    public static let maxPreferredSubjectLength = 100

    /// Every accepted key, in the order answers are stored.
    public static let keys = [
        "niveau", "filiere", "serie", "specialites", "options", "moyennes", "matieresPreferees", "centresInteret",
        "projetProfessionnel", "typesEtudes", "dureeEtudes", "mobilite", "departement", "alternance", "pointsForts",
        "difficultes", "commentaire",
    ]

    /// The fields whose values are codes, with their vocabularies: what the
    /// labels file must cover.
    public static let codedFields: [(field: String, codes: Set<String>)] = [
        ("niveau", niveaux), ("filiere", filieres), ("serie", series), ("specialites", specialites),
        ("options", options), ("typesEtudes", typesEtudes), ("dureeEtudes", durees), ("mobilite", mobilites),
        ("departement", departements),
    ]

    /// Every code of every coded field.
    public static var allCodes: Set<String> { codedFields.reduce(into: []) { $0.formUnion($1.codes) } }
}
