/// `templates/parcoursup/departements.txt`: the académie and the région of
/// every département code of SPEC §5, for the mobility scope of the
/// programme selection. The names of the départements are answer labels and
/// live in `labels.txt` (`departement.35 = Ille-et-Vilaine`).
public struct DepartementGeography: Sendable, Equatable {
    public static let fileName = TemplateNames.departements

    public struct Place: Sendable, Equatable {
        public var academie: String
        public var region: String
    }

    public var places: [String: Place]

    public init(_ places: [String: Place]) { self.places = places }

    public static func load(templatesDirectory: String) throws(TemplateFileError) -> DepartementGeography {
        let path = templatesDirectory + "/" + fileName
        var places: [String: Place] = [:]
        for (number, line) in try TemplateFileError.contentLines(of: path) {
            let fields = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingSpaces() }
            guard fields.count == 3, !fields[1].isEmpty, !fields[2].isEmpty else {
                throw TemplateFileError(path: path, line: number, problem: "expected CODE | académie | région")
            }
            guard QuestionnaireSchema.departements.contains(fields[0]) else {
                throw TemplateFileError(path: path, line: number, problem: "\(fields[0]) is not a département code of SPEC §5")
            }
            guard places[fields[0]] == nil else {
                throw TemplateFileError(path: path, line: number, problem: "\(fields[0]) is given twice")
            }
            places[fields[0]] = Place(academie: fields[1], region: fields[2])
        }
        if let missing = QuestionnaireSchema.departements.sorted().first(where: { places[$0] == nil }) {
            throw TemplateFileError(path: path, problem: "no académie and région for département \(missing)")
        }
        return DepartementGeography(places)
    }

    public func academie(of code: String) -> String? { places[code]?.academie }
    public func region(of code: String) -> String? { places[code]?.region }

    /// Every département of the académie, sorted.
    public func departements(inAcademie academie: String) -> [String] {
        places.filter { $0.value.academie == academie }.map(\.key).sorted()
    }

    /// Every département of the région, sorted.
    public func departements(inRegion region: String) -> [String] {
        places.filter { $0.value.region == region }.map(\.key).sorted()
    }
}
