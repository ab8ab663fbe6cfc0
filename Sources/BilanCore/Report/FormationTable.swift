/// The « Formations repérées » table of SPEC §13: built by the code from the
/// rows the terrain pass was given, never written by the model, and put at
/// the top of « Réalité du terrain ». A link goes to a programme's Parcoursup
/// page only when its host is an allowed link host, so the table can never
/// break the report check's link rule.
public struct FormationTable: Sendable {
    public static let heading = "Formations repérées"
    public static let section = "Réalité du terrain"

    let selection: ProgrammeSelection
    let linkHosts: Set<String>

    /// nil when there is no row to show (no data imported, nothing matched).
    public init?(selection: ProgrammeSelection?, linkHosts: Set<String>) {
        guard let selection, let session = selection.session, session > 0, !selection.rows.isEmpty else { return nil }
        self.selection = selection
        self.linkHosts = linkHosts
    }

    /// The subsection: heading, GFM table, source and definition.
    public var markdown: String {
        var lines = [
            "### " + Self.heading, "",
            "| Formation | Établissement | Ville | Statut | Sélectivité | Taux d'accès | Places | Fiche Parcoursup |",
            "|---|---|---|---|---|---:|---:|---|",
        ]
        for row in selection.rows {
            let cells = [
                Self.cell(row.formation), Self.cell(row.etablissement), Self.cell("\(row.ville) (\(row.departement))"),
                Self.cell(row.statut.map { $0.prefix(1).lowercased() + $0.dropFirst() } ?? "—"),
                row.selective.map { $0 ? "sélective" : "non sélective" } ?? "—", row.rateText,
                row.places.map(FrenchNumber.grouped) ?? "—", link(row.lien),
            ]
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        lines += [
            "",
            "Source : \(ProgrammeSelection.source), session \(selection.session ?? 0). Le taux d'accès est la part "
                + "des candidats de la phase principale qui ont reçu ou auraient pu recevoir une proposition "
                + "d'admission (jusqu'au rang du dernier appelé) : ce n'est pas une chance personnelle d'être admis.",
        ]
        return lines.joined(separator: "\n")
    }

    /// The report with the table first in « Réalité du terrain »; a copy the
    /// model wrote under the same heading goes first. A report without the
    /// section is returned as it is (the headings rule refuses it anyway).
    public func inserted(into report: String) -> String {
        var lines = report.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
        lines = Self.removingCopies(lines)
        var inFence = false
        for (index, line) in lines.enumerated() {
            let trimmed = line.trimmingSpaces()
            if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") { inFence.toggle() }
            guard !inFence, trimmed.hasPrefix("## "), ReportOutline.same(String(trimmed.dropFirst(3)), Self.section) else {
                continue
            }
            lines.insert(contentsOf: [""] + markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init), at: index + 1)
            return lines.joined(separator: "\n")
        }
        return report
    }

    /// Drops a `### Formations repérées` heading with the table and source
    /// note under it: the model was told not to write one, and the table is
    /// ours to write. What follows them stays.
    static func removingCopies(_ lines: [String]) -> [String] {
        var kept: [String] = []
        var index = 0
        while index < lines.count {
            let trimmed = lines[index].trimmingSpaces()
            guard trimmed.hasPrefix("### "), ReportOutline.same(String(trimmed.dropFirst(4)), heading) else {
                kept.append(lines[index])
                index += 1
                continue
            }
            index += 1
            func skip(while belongs: (String) -> Bool) {
                while index < lines.count, belongs(lines[index].trimmingSpaces()) { index += 1 }
            }
            skip { $0.isEmpty }
            skip { $0.hasPrefix("|") }
            skip { $0.isEmpty }
            skip { $0.hasPrefix("Source : " + ProgrammeSelection.source) }
            skip { $0.isEmpty }
        }
        return kept
    }

    private func link(_ url: String?) -> String {
        guard let url, !url.contains(where: { $0 == " " || $0 == ")" || $0 == "(" || $0 == "<" || $0 == ">" }),
            let found = ReportLinks.find(in: "[fiche](\(url))").first, found.url == url,
            ReportLinks.isAllowed(found, hosts: linkHosts)
        else { return "—" }
        return "[voir la fiche](\(url))"
    }

    /// What data from the file becomes in a cell: no pipe, bracket, angle
    /// bracket, backtick, backslash or line break can change the table's
    /// shape or smuggle markup in.
    static let cellReplacements: [Character: Character] = [
        "|": "/", "<": "‹", ">": "›", "[": "(", "]": ")", "`": "'", "\\": "/",
    ]

    static func cell(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : cellReplacements[$0] ?? $0 }).trimmingSpaces()
    }
}
