import ArgumentParser
import BilanCore

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List bilans with status, step, attempts and age (newest first).")
    @Option(help: "PENDING, COMPLETED or FAILED.") var status: String?
    @Option(help: "Only this user's bilans.") var user: String?
    @Flag(help: "Only bilans whose free texts showed distress (SPEC §12).") var flagged = false
    @OptionGroup var output: OutputOptions

    func run() throws {
        try guarded {
            if let status, BilanStatus(rawValue: status) == nil {
                throw AdminFailure("unknown status \(status): expected PENDING, COMPLETED or FAILED")
            }
            let context = try AdminContext.open()
            let rows = try context.run(AdminQueries.listBilans, [status, user, flagged ? "true" : "false"])
            var lines = ["ID                                    STATUS     STEP ATTEMPTS AGE      MAILED FLAG EMAIL"]
            var items: [JSONValue] = []
            for row in 0..<rows.rowCount {
                let id = rows.string(row, 0) ?? ""
                let email = rows.string(row, 1) ?? "?"
                let state = rows.string(row, 2) ?? ""
                let step = rows.int(row, 3) ?? 0
                let attempts = rows.int(row, 4) ?? 0
                let age = rows.int64(row, 5) ?? 0
                let mailed = rows.bool(row, 6) ?? false
                let flag = rows.bool(row, 7) ?? false
                lines.append(
                    "\(id)  \(state.padded(10)) \(String(step).padded(4)) \(String(attempts).padded(8)) "
                        + "\(Age.format(seconds: age).padded(8)) \((mailed ? "yes" : "no").padded(6)) "
                        + "\((flag ? "yes" : "no").padded(4)) \(email)")
                items.append([
                    "id": .string(id), "email": .string(email), "status": .string(state),
                    "step": .number(Double(step)), "attempts": .number(Double(attempts)),
                    "ageSeconds": .number(Double(age)), "emailSent": .bool(mailed), "distressFlag": .bool(flag),
                ])
            }
            if rows.rowCount == 0 { lines = ["no bilan"] }
            emit(output, text: lines.joined(separator: "\n"), json: ["bilans": .array(items)])
        }
    }
}

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show one bilan: state, checkpoints, errors.")
    @Argument(help: "Bilan id (UUID).") var id: String
    @OptionGroup var output: OutputOptions

    func run() throws {
        try guarded {
            guard let bilan = BilanID.parse(id) else { throw AdminFailure("not a bilan id: \(id)") }
            let context = try AdminContext.open()
            let row = try context.run(AdminQueries.showBilan, [bilan])
            guard row.rowCount == 1 else { throw AdminFailure("no bilan \(bilan)") }
            let labels = [
                "id", "email", "status", "progressStep", "attempts", "createdAt", "updatedAt", "completedAt",
                "emailSentAt", "lockedBy", "errorMessage", "failureDetail", "analyse", "questionnaire",
                "reportLength", "nextAttemptAt", "emailClaimedAt", "emailAttempts", "failureKind", "distressFlag",
                "modelVersions", "reportCheck", "parcoursupRows",
            ]
            let jsonColumns: Set<String> = ["analyse", "questionnaire", "modelVersions", "reportCheck", "parcoursupRows"]
            var members: [(String, JSONValue)] = []
            var lines: [String] = []
            for (column, label) in labels.enumerated() {
                let value = row.string(0, column)
                if jsonColumns.contains(label), let value, let parsed = try? JSONParser.parse(value) {
                    members.append((label, parsed))
                    if label == "reportCheck" {
                        lines.append(contentsOf: ReportVerdictText.lines(parsed))
                        continue
                    }
                    if label == "parcoursupRows", let selection = ProgrammeSelection(json: parsed) {
                        lines.append(contentsOf: ProgrammeSelectionText.lines(selection))
                        continue
                    }
                } else if label == "distressFlag" {
                    members.append((label, .bool(value == "t")))
                } else {
                    members.append((label, .optional(value)))
                }
                lines.append("\(label.padded(14)) \(value ?? "-")")
            }
            emit(output, text: lines.joined(separator: "\n"), json: .object(members))
        }
    }
}

/// The programmes a bilan's terrain pass was given (SPEC §13), one a line.
enum ProgrammeSelectionText {
    static func lines(_ selection: ProgrammeSelection) -> [String] {
        guard let session = selection.session, !selection.rows.isEmpty else {
            return ["parcoursupRows none (no Parcoursup data matched: \(selection.scope))"]
        }
        return ["parcoursupRows \(selection.rows.count) programme(s), session \(session), \(selection.scope)"]
            + selection.rows.map { row in
                "  \(row.codAffForm.padded(7)) \(row.rateText.padded(7)) \(row.formation) — \(row.etablissement), \(row.ville) (\(row.departement))"
            }
    }
}

enum Age {
    static func format(seconds: Int64) -> String {
        if seconds < 120 { return "\(seconds)s" }
        if seconds < 7200 { return "\(seconds / 60)m" }
        if seconds < 172_800 { return "\(seconds / 3600)h" }
        return "\(seconds / 86400)d"
    }
}

extension String {
    func padded(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
