/// The `"BilanStatus"` enum of the Prisma schema.
public enum BilanStatus: String, Sendable {
    case pending = "PENDING"
    case completed = "COMPLETED"
    case failed = "FAILED"
}

/// Where a bilan stands in its three passes, as the page and the JSON show it.
public enum BilanProgress {
    public static let totalSteps = 3

    /// `step` is the pass under way (0 = queued, 1…3), as stored in `"progressStep"`.
    public static func label(status: BilanStatus, step: Int) -> String {
        switch status {
        case .completed: return "Bilan terminé"
        case .failed: return "La génération a échoué"
        case .pending:
            switch step {
            case 1: return "Étape 1 sur 3 : analyse initiale de votre profil"
            case 2: return "Étape 2 sur 3 : analyse psychopédagogique"
            case 3: return "Étape 3 sur 3 : vérification terrain et rédaction"
            default: return "En file d'attente : la génération va commencer"
            }
        }
    }

    public static func json(status: BilanStatus, step: Int) -> JSONValue {
        let shown = status == .completed ? totalSteps : max(0, min(step, totalSteps))
        return ["step": .number(Double(shown)), "total": .number(Double(totalSteps)), "label": .string(label(status: status, step: shown))]
    }
}
