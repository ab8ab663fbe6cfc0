import BilanCore

/// A bilan as the JSON routes show it.
struct BilanSnapshot {
    var id: String
    var status: BilanStatus
    var step: Int
    var createdAtMs: Int64
    var updatedAtMs: Int64
    var completedAtMs: Int64?
    var report: String?
    var errorMessage: String?
    var distressFlag = false
    var failureKind: String?
    var questionnaire: String?
    /// The report as rendered at completion, and its table of contents (JSON).
    var reportHTML: String?
    var reportTOC: String?
    /// Its PDF was made (read by the history only).
    var hasPDF = false

    /// The « Besoin d'en parler ? » card comes first: a free text showed
    /// distress, or Gemini refused the content (never « reformulez »).
    var showsHelpCard: Bool { distressFlag || failureKind == FailureKind.contentRefused.rawValue }

    /// `Terminale, voie générale — mathématiques, physique-chimie`, from the labels file.
    func profile(_ wording: AnswerWording?) -> String? {
        guard let wording, let text = questionnaire, let answers = try? JSONParser.parse(text) else { return nil }
        let summary = wording.profileSummary(answers)
        return summary.isEmpty ? nil : summary
    }

    var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("id", .string(id)),
            ("status", .string(status.rawValue)),
            ("createdAt", .string(UTCTime.iso8601(createdAtMs))),
            ("updatedAt", .string(UTCTime.iso8601(updatedAtMs))),
            ("completedAt", completedAtMs.map { .string(UTCTime.iso8601($0)) } ?? .null),
            ("progress", BilanProgress.json(status: status, step: step)),
        ]
        if status == .completed, let report {
            members.append(("resultat", .string(report)))
            members.append(("sections", .array(MarkdownSections.headings(report).map { .string($0) })))
        }
        if status == .failed {
            members.append(("errorMessage", .string(errorMessage ?? BilanMessages.genericFailure)))
        }
        if showsHelpCard { members.append(("aide", .bool(true))) }
        return .object(members)
    }
}

// Read from PostgreSQL rows in an extension, so that the memberwise
// initialiser stays for the in-memory stores of the tests.
extension BilanSnapshot {
    /// From `lookupForSession`'s columns starting at `offset`.
    init?(row: PGResult, offset: Int) {
        guard let id = row.string(0, offset), let status = row.string(0, offset + 1).flatMap(BilanStatus.init(rawValue:))
        else { return nil }
        self.id = id
        self.status = status
        step = row.int(0, offset + 2) ?? 0
        createdAtMs = row.int64(0, offset + 3) ?? 0
        updatedAtMs = row.int64(0, offset + 4) ?? 0
        completedAtMs = row.int64(0, offset + 5)
        report = row.string(0, offset + 6)
        errorMessage = row.string(0, offset + 7)
        distressFlag = row.bool(0, offset + 8) == true
        failureKind = row.string(0, offset + 9)
        questionnaire = row.string(0, offset + 10)
        reportHTML = row.string(0, offset + 11)
        reportTOC = row.string(0, offset + 12)
    }

    /// From `historyForUser`'s columns (no report, no message; whether the PDF exists).
    init?(summaryRow rows: PGResult, index: Int) {
        guard let id = rows.string(index, 0), let status = rows.string(index, 1).flatMap(BilanStatus.init(rawValue:))
        else { return nil }
        self.id = id
        self.status = status
        step = rows.int(index, 2) ?? 0
        createdAtMs = rows.int64(index, 3) ?? 0
        updatedAtMs = rows.int64(index, 4) ?? 0
        completedAtMs = rows.int64(index, 5)
        questionnaire = rows.string(index, 6)
        hasPDF = rows.bool(index, 7) == true
    }
}
