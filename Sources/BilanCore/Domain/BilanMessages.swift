/// Why a bilan failed, in the one word the pages act on (`"failureKind"`).
public enum FailureKind: String, Sendable {
    /// Gemini blocked the content: the help card, never « reformulez ».
    case contentRefused = "CONTENT_REFUSED"
    case reportRefused = "REPORT_REFUSED"
    case attempts = "ATTEMPTS"
    case service = "SERVICE"
}

/// User-safe French messages stored in `"errorMessage"` and shown on pages.
/// The technical cause goes to the log and `"failureDetail"`, never here.
public enum BilanMessages {
    public static let genericFailure =
        "La génération de votre bilan n'a pas abouti. Vous pouvez relancer un bilan ; si le problème persiste, contactez le support."
    public static let tooManyAttempts =
        "La génération de votre bilan a échoué après plusieurs tentatives. Vous pouvez relancer un bilan ; si le problème persiste, contactez le support."
    /// Gemini refused the content, often because a student wrote about
    /// something hard: never ask them to rephrase it. The page and the mail
    /// show the « Besoin d'en parler ? » card beside this message.
    public static let contentRefused =
        "Votre bilan n'a pas pu être rédigé automatiquement à partir de vos réponses. Ce n'est pas de votre fait : notre équipe peut le reprendre avec vous. Ce bilan ne compte pas dans votre bilan annuel."
    /// The written report failed the check twice (SPEC §12).
    public static let reportRefused =
        "Le bilan rédigé ne respectait pas nos règles de qualité et n'a pas été publié. Vous pouvez relancer un bilan ; si le problème persiste, contactez le support."
    public static let serviceMisconfigured =
        "Le service d'analyse est momentanément indisponible. Notre équipe a été prévenue ; vous pouvez relancer un bilan plus tard."
}
