/// User-safe French messages stored in `"errorMessage"` and shown on pages.
/// The technical cause goes to the log and `"failureDetail"`, never here.
public enum BilanMessages {
    public static let genericFailure =
        "La génération de votre bilan n'a pas abouti. Vous pouvez relancer un bilan ; si le problème persiste, contactez le support."
    public static let tooManyAttempts =
        "La génération de votre bilan a échoué après plusieurs tentatives. Vous pouvez relancer un bilan ; si le problème persiste, contactez le support."
    public static let contentRefused =
        "Le service d'analyse a refusé de produire ce bilan à partir des réponses fournies. Vous pouvez relancer un bilan en reformulant vos textes libres, ou contacter le support."
    public static let serviceMisconfigured =
        "Le service d'analyse est momentanément indisponible. Notre équipe a été prévenue ; vous pouvez relancer un bilan plus tard."
}
