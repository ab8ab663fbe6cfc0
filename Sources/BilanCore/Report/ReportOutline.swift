/// The eight `##` headings of REPORT.md, in order: the one list that pass 3's
/// prompt, the report check, the page and the tests read.
public enum ReportOutline {
    public static let headings = [
        "Synthèse de votre profil",
        "Vos points forts et vos axes de progrès",
        "Pistes d'études recommandées",
        "Conseils psychopédagogiques",
        "Réalité du terrain",
        "Stratégie Parcoursup",
        "Plan d'action",
        "Ressources utiles",
    ]

    public static let planHeading = "Plan d'action"

    /// Headings compare ignoring case, accents and apostrophe style.
    public static func same(_ a: String, _ b: String) -> Bool {
        TextFolding.fold(a.trimmingSpaces()) == TextFolding.fold(b.trimmingSpaces())
    }

    /// The hosts links may point to unless `REPORT_LINK_HOSTS` says otherwise;
    /// `dossierappel.parcoursup.fr` serves the programmes' pages that the
    /// « Formations repérées » table links to (SPEC §13).
    public static let defaultLinkHosts = [
        "parcoursup.gouv.fr", "www.parcoursup.gouv.fr", "www.parcoursup.fr", "dossierappel.parcoursup.fr", "onisep.fr",
        "www.onisep.fr",
        "etudiant.gouv.fr", "www.etudiant.gouv.fr", "education.gouv.fr", "www.education.gouv.fr",
        "service-public.fr", "www.service-public.fr",
    ]
}
