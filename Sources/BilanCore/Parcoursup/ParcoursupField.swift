/// The columns of the ministry's `fr-esr-parcoursup` export that the import
/// keeps (the file has about 118; the others are ignored), with every name a
/// header may give them: the technical names (older sessions' included) and
/// the French labels of the portal's default export.
public enum ParcoursupField: String, CaseIterable, Sendable {
    case session, codAffForm, formation, etablissement, uai, statut, departement, departementNom, academie, region
    case ville, fili, typeFormation, filiereDetaillee, selective, places, voeux, admis, tauxAcces, lien

    /// Accepted technical names, the current one first (used in messages).
    public var technicalNames: [String] {
        switch self {
        case .session: return ["session"]
        case .codAffForm: return ["cod_aff_form"]
        case .formation: return ["lib_for_voe_ins"]
        case .etablissement: return ["g_ea_lib_vx"]
        case .uai: return ["cod_uai"]
        case .statut: return ["contrat_etab"]
        case .departement: return ["dep"]
        case .departementNom: return ["dep_lib"]
        case .academie: return ["acad_mies"]
        case .region: return ["region_etab_aff"]
        case .ville: return ["ville_etab"]
        case .fili: return ["fili"]
        case .typeFormation: return ["form_lib_voe_acc"]
        case .filiereDetaillee: return ["fil_lib_voe_acc"]
        case .selective: return ["select_form"]
        case .places: return ["capa_fin"]
        case .voeux: return ["voe_tot"]
        case .admis: return ["acc_tot"]
        // Renamed in 2022 when the ministry redefined the rate (SPEC §13).
        case .tauxAcces: return ["taux_acces_ens", "taux_acces"]
        case .lien: return ["lien_form_psup"]
        }
    }

    /// Accepted French labels. The export names two columns « Filière de
    /// formation » (`lib_for_voe_ins`, then `form_lib_voe_acc`): `occurrence`
    /// says which one a label is, counted from the left of the header.
    public var frenchLabels: [(label: String, occurrence: Int)] {
        switch self {
        case .session: return [("Session", 1)]
        case .codAffForm: return [("cod_aff_form", 1), ("Code d'affectation de la formation", 1)]
        case .formation: return [("Filière de formation", 1), ("Filière de formation (libellé)", 1)]
        case .etablissement: return [("Établissement", 1)]
        case .uai: return [("Code UAI de l'établissement", 1)]
        case .statut:
            return [("Statut de l’établissement de la filière de formation (public, privé…)", 1),
                    ("Statut de l’établissement de la filière de formation", 1)]
        case .departement: return [("Code départemental de l’établissement", 1)]
        case .departementNom: return [("Département de l’établissement", 1)]
        case .academie: return [("Académie de l’établissement", 1)]
        case .region: return [("Région de l’établissement", 1)]
        case .ville: return [("Commune de l’établissement", 1)]
        case .fili: return [("Filière de formation très agrégée", 1)]
        case .typeFormation: return [("Filière de formation", 2), ("Filière de formation (regroupement)", 1)]
        case .filiereDetaillee: return [("Filière de formation détaillée bis", 1)]
        case .selective: return [("Sélectivité", 1)]
        case .places: return [("Capacité de l’établissement par formation", 1)]
        case .voeux: return [("Effectif total des candidats pour une formation", 1)]
        case .admis: return [("Effectif total des candidats ayant accepté la proposition de l’établissement (admis)", 1)]
        case .tauxAcces: return [("Taux d’accès", 1)]
        case .lien: return [("Lien de la formation sur la plateforme Parcoursup", 1)]
        }
    }

    /// A file without one of these is refused. `session` may instead come
    /// from `--session`; the rest only enrich the table when present.
    public var isRequired: Bool {
        switch self {
        case .uai, .departementNom, .academie, .region, .typeFormation, .filiereDetaillee, .admis: return false
        default: return true
        }
    }

    /// `taux_acces_ens` (also accepted: taux_acces, « Taux d’accès »): for messages.
    public var acceptedNames: String {
        let others = technicalNames.dropFirst() + frenchLabels.map { "« \($0.label) »" }
        return technicalNames[0] + (others.isEmpty ? "" : " (also accepted: \(others.joined(separator: ", ")))")
    }

    /// Header names compare ignoring case, accents, apostrophe style,
    /// surrounding quotes and repeated spaces.
    static func comparable(_ name: String) -> String {
        var text = name.trimmingSpaces()
        if text.count >= 2, text.first == "\"", text.last == "\"" { text = String(text.dropFirst().dropLast()) }
        text = TextFolding.fold(text).replacing("…", with: "...")
        return text.split(whereSeparator: { $0 == " " || $0 == "\u{A0}" }).joined(separator: " ")
    }
}
