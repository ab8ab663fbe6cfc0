/// What the programme selection asks the database for one questionnaire
/// (SPEC §13): the families of its `typesEtudes`, the départements of its
/// mobility scope, the home département (ranked first) and the average that
/// sets the mix of selectivities.
public struct ProgrammeRequest: Sendable, Equatable {
    public var families: [StudyFamilies.Family]
    /// nil: the whole country.
    public var departements: [String]?
    public var home: String?
    /// Sur 20: `moyennes.generale`, else the mean of the grades given.
    public var average: Double?
    /// The scope in words, for the data block: « région Bretagne ».
    public var scope: String

    public init(families: [StudyFamilies.Family], departements: [String]?, home: String?, average: Double?, scope: String) {
        self.families = families
        self.departements = departements
        self.home = home
        self.average = average
        self.scope = scope
    }

    public static let nationalScope = "toute la France"

    /// nil when the answers name no type of studies: there is nothing to look for.
    /// LOCALE looks in the académie (the home département first), REGIONALE in
    /// the région; NATIONALE, INTERNATIONALE, no mobility or no département:
    /// the whole country, with no home preference.
    public init?(questionnaire: JSONValue, mapping: ParcoursupMapping) {
        let types = (questionnaire["typesEtudes"]?.arrayValue ?? []).compactMap(\.stringValue)
        let families = mapping.families.families(for: types)
        guard !families.isEmpty else { return nil }
        let home = questionnaire["departement"]?.stringValue
        var departements: [String]?
        var scope = Self.nationalScope
        if let home, let academie = mapping.geography.academie(of: home), let region = mapping.geography.region(of: home) {
            switch questionnaire["mobilite"]?.stringValue {
            case "LOCALE":
                departements = mapping.geography.departements(inAcademie: academie)
                scope = "académie " + Self.elided("de", academie)
            case "REGIONALE":
                departements = mapping.geography.departements(inRegion: region)
                scope = "région " + region
            default: break
            }
        }
        self.init(
            families: families, departements: departements, home: departements == nil ? nil : home,
            average: Self.average(questionnaire["moyennes"]), scope: scope)
    }

    static func average(_ grades: JSONValue?) -> Double? {
        guard let members = grades?.objectValue, !members.isEmpty else { return nil }
        if let general = grades?["generale"]?.numberValue { return general }
        let values = members.compactMap { $0.1.numberValue }
        return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    /// « de Rennes », « d'Orléans-Tours ».
    static func elided(_ word: String, _ name: String) -> String {
        let vowels: Set<Character> = ["A", "E", "I", "O", "U", "É", "Î", "Y"]
        guard let first = name.first, vowels.contains(first) else { return word + " " + name }
        return word.dropLast() + "'" + name
    }
}

/// The two editable files of `templates/parcoursup/`, loaded together with
/// the other report files: a malformed line stops the generator at start.
public struct ParcoursupMapping: Sendable, Equatable {
    public var families: StudyFamilies
    public var geography: DepartementGeography

    public init(families: StudyFamilies, geography: DepartementGeography) {
        self.families = families
        self.geography = geography
    }

    public static func load(templatesDirectory: String) throws(TemplateFileError) -> ParcoursupMapping {
        ParcoursupMapping(
            families: try StudyFamilies.load(templatesDirectory: templatesDirectory),
            geography: try DepartementGeography.load(templatesDirectory: templatesDirectory))
    }
}
