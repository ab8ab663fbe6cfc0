/// `templates/parcoursup/familles.txt`: which programmes of the open data
/// each `typesEtudes` answer means. A code maps to one or more of the
/// dataset's `fili` families, optionally narrowed to the programme types
/// (`form_lib_voe_acc`) that start with a given text: « écoles d'art » are
/// the DN MADE among the « Autre formation », not all of them.
public struct StudyFamilies: Sendable, Equatable {
    public static let fileName = TemplateNames.studyFamilies

    public struct Family: Sendable, Equatable, Hashable {
        public var fili: String
        /// Empty: the whole family.
        public var typePrefix: String

        public init(fili: String, typePrefix: String = "") {
            self.fili = fili
            self.typePrefix = typePrefix
        }
    }

    /// typesEtudes code → its families, in file order.
    public var byCode: [String: [Family]]

    public init(_ byCode: [String: [Family]]) { self.byCode = byCode }

    public static func load(templatesDirectory: String) throws(TemplateFileError) -> StudyFamilies {
        let path = templatesDirectory + "/" + fileName
        var byCode: [String: [Family]] = [:]
        for (number, line) in try TemplateFileError.contentLines(of: path) {
            let fields = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingSpaces() }
            guard fields.count == 2 || fields.count == 3 else {
                throw TemplateFileError(path: path, line: number, problem: "expected CODE | fili [| type de formation]")
            }
            guard QuestionnaireSchema.typesEtudes.contains(fields[0]) else {
                throw TemplateFileError(path: path, line: number, problem: "\(fields[0]) is not a typesEtudes code of SPEC §5")
            }
            guard !fields[1].isEmpty else { throw TemplateFileError(path: path, line: number, problem: "empty fili") }
            let family = Family(fili: fields[1], typePrefix: fields.count == 3 ? fields[2] : "")
            guard !(byCode[fields[0]] ?? []).contains(family) else {
                throw TemplateFileError(path: path, line: number, problem: "\(fields[0]) | \(fields[1]) is given twice")
            }
            byCode[fields[0], default: []].append(family)
        }
        if let missing = QuestionnaireSchema.typesEtudes.sorted().first(where: { byCode[$0] == nil }) {
            throw TemplateFileError(path: path, problem: "no family for \(missing)")
        }
        return StudyFamilies(byCode)
    }

    /// The families of the student's answers, each once, in the order given.
    public func families(for codes: [String]) -> [Family] {
        var seen = Set<Family>()
        return codes.flatMap { byCode[$0] ?? [] }.filter { seen.insert($0).inserted }
    }
}
