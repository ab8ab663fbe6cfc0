/// The rows as the terrain prompt carries them (SPEC §13): a delimited data
/// block that names the source and the session, one programme a line. The
/// values come from a file we did not write: like the student's answers they
/// are data, and cannot close the block.
public enum ProgrammeDataBlock {
    public static let start = "<<<FORMATIONS_PARCOURSUP"
    public static let end = "FORMATIONS_PARCOURSUP>>>"

    public static func text(_ selection: ProgrammeSelection) -> String {
        var lines = [
            start,
            "Source : \(ProgrammeSelection.source), session \(selection.session ?? 0) ; zone de recherche : \(selection.scope).",
        ]
        for row in selection.rows {
            var parts = ["taux d'accès \(row.rateText)"]
            if let places = row.places { parts.append("\(FrenchNumber.grouped(places)) places") }
            if let voeux = row.voeux { parts.append("\(FrenchNumber.grouped(voeux)) candidats") }
            let facts = [row.statut, row.selectivityText].compactMap { $0 } + parts
            lines.append(
                "- " + AnswerWording.neutralize("\(row.formation) — \(row.etablissement), \(row.ville) (\(row.departement))")
                    + " ; " + AnswerWording.neutralize(facts.joined(separator: " ; ")))
        }
        lines.append(end)
        return lines.joined(separator: "\n")
    }
}
