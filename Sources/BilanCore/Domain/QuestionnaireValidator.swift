/// Why a questionnaire is refused: the field at fault and a French sentence for the student.
public typealias QuestionnaireError = FieldError

/// Checks a questionnaire against SPEC §5 and returns the validated answers in
/// canonical form (known keys only, stable order, empty texts dropped): that
/// is what is stored as proof and fed to the prompts.
public enum QuestionnaireValidator {
    public static func validate(_ input: JSONValue) throws(QuestionnaireError) -> JSONValue {
        guard let members = input.objectValue else {
            throw QuestionnaireError(field: nil, "Le questionnaire doit être un objet JSON.")
        }
        for (key, _) in members where !QuestionnaireSchema.keys.contains(key) {
            throw QuestionnaireError(field: key, "Champ inconnu : « \(key) ».")
        }
        var answers: [(String, JSONValue)] = []
        func keep(_ key: String, _ value: JSONValue?) { if let value { answers.append((key, value)) } }
        let present = { (key: String) -> JSONValue? in
            guard let value = input[key], value != .null else { return nil }
            return value
        }

        let niveau = try choice(present("niveau"), "niveau", QuestionnaireSchema.niveaux, label: "le niveau")
        let filiere = try choice(present("filiere"), "filiere", QuestionnaireSchema.filieres, label: "la filière")
        guard let niveau else { throw QuestionnaireError(field: "niveau", "Indiquez votre niveau.") }
        guard let filiere else { throw QuestionnaireError(field: "filiere", "Indiquez votre filière.") }
        keep("niveau", .string(niveau))
        keep("filiere", .string(filiere))
        let serie = try choice(present("serie"), "serie", QuestionnaireSchema.series, label: "la série")
        if serie != nil, filiere != "TECHNOLOGIQUE" {
            throw QuestionnaireError(field: "serie", "La série ne concerne que la filière technologique.")
        }
        keep("serie", serie.map { .string($0) })
        keep("specialites", try specialites(present("specialites")))
        keep("options", try subset(present("options"), "options", QuestionnaireSchema.options, label: "option"))
        keep("moyennes", try grades(present("moyennes")))
        keep("matieresPreferees", try preferredSubjects(present("matieresPreferees")))
        keep("centresInteret", try freeText(present("centresInteret"), "centresInteret"))
        keep("projetProfessionnel", try freeText(present("projetProfessionnel"), "projetProfessionnel"))
        keep("typesEtudes", try subset(present("typesEtudes"), "typesEtudes", QuestionnaireSchema.typesEtudes, label: "type d'études"))
        keep("dureeEtudes", try choice(present("dureeEtudes"), "dureeEtudes", QuestionnaireSchema.durees, label: "la durée d'études").map { .string($0) })
        keep("mobilite", try choice(present("mobilite"), "mobilite", QuestionnaireSchema.mobilites, label: "la mobilité").map { .string($0) })
        keep("departement", try choice(present("departement"), "departement", QuestionnaireSchema.departements, label: "le département").map { .string($0) })
        if let alternance = present("alternance") {
            guard let flag = alternance.boolValue else {
                throw QuestionnaireError(field: "alternance", "Le champ alternance doit valoir oui ou non.")
            }
            keep("alternance", .bool(flag))
        }
        keep("pointsForts", try freeText(present("pointsForts"), "pointsForts"))
        keep("difficultes", try freeText(present("difficultes"), "difficultes"))
        keep("commentaire", try freeText(present("commentaire"), "commentaire"))

        let validated = JSONValue.object(answers)
        if validated["projetProfessionnel"] == nil, validated["centresInteret"] == nil {
            throw QuestionnaireError(
                field: "projetProfessionnel",
                "Décrivez votre projet professionnel ou vos centres d'intérêt (au moins l'un des deux).")
        }
        return validated
    }

    private static func choice(_ value: JSONValue?, _ field: String, _ allowed: Set<String>, label: String)
        throws(QuestionnaireError) -> String?
    {
        guard let value else { return nil }
        guard let text = value.stringValue, allowed.contains(text) else {
            throw QuestionnaireError(field: field, "Valeur non reconnue pour \(label).")
        }
        return text
    }

    private static func subset(_ value: JSONValue?, _ field: String, _ allowed: Set<String>, label: String)
        throws(QuestionnaireError) -> JSONValue?
    {
        guard let value else { return nil }
        guard let items = value.arrayValue else {
            throw QuestionnaireError(field: field, "Ce champ doit être une liste.")
        }
        var seen = Set<String>()
        for item in items {
            guard let text = item.stringValue, allowed.contains(text) else {
                throw QuestionnaireError(field: field, "Valeur non reconnue dans la liste (\(label)).")
            }
            guard seen.insert(text).inserted else {
                throw QuestionnaireError(field: field, "La valeur « \(text) » est donnée deux fois.")
            }
        }
        // An empty list says nothing: stored like an absent one, as the form sends it.
        if items.isEmpty { return Optional<JSONValue>.none }
        return .array(items)
    }

    private static func specialites(_ value: JSONValue?) throws(QuestionnaireError) -> JSONValue? {
        let list = try subset(value, "specialites", QuestionnaireSchema.specialites, label: "spécialité")
        if let count = list?.arrayValue?.count, count > QuestionnaireSchema.maxSpecialites {
            throw QuestionnaireError(field: "specialites", "Choisissez au plus 3 spécialités.")
        }
        return list
    }

    private static func grades(_ value: JSONValue?) throws(QuestionnaireError) -> JSONValue? {
        guard let value else { return nil }
        guard let members = value.objectValue else {
            throw QuestionnaireError(field: "moyennes", "Les moyennes doivent être données matière par matière.")
        }
        guard members.count <= QuestionnaireSchema.maxGradeKeys else {
            throw QuestionnaireError(field: "moyennes", "Indiquez au plus 20 moyennes.")
        }
        for (subject, grade) in members {
            guard isGradeKey(subject) else {
                throw QuestionnaireError(
                    field: "moyennes",
                    "Nom de matière invalide : lettres minuscules, chiffres et « _ », 30 caractères au plus.")
            }
            guard let number = grade.numberValue, number >= 0, number <= 20 else {
                throw QuestionnaireError(field: "moyennes.\(subject)", "Une moyenne est un nombre entre 0 et 20.")
            }
        }
        if members.isEmpty { return Optional<JSONValue>.none }
        return value
    }

    static func isGradeKey(_ key: String) -> Bool {
        !key.isEmpty && key.utf8.count <= QuestionnaireSchema.maxGradeKeyLength
            && key.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
    }

    private static func preferredSubjects(_ value: JSONValue?) throws(QuestionnaireError) -> JSONValue? {
        guard let value else { return nil }
        guard let items = value.arrayValue, items.count <= QuestionnaireSchema.maxPreferredSubjects else {
            throw QuestionnaireError(field: "matieresPreferees", "Donnez au plus 20 matières préférées, sous forme de liste.")
        }
        var cleaned: [JSONValue] = []
        for item in items {
            guard let text = item.stringValue else {
                throw QuestionnaireError(field: "matieresPreferees", "Chaque matière préférée doit être un texte.")
            }
            let trimmed = try checkedText(text, field: "matieresPreferees", limit: QuestionnaireSchema.maxPreferredSubjectLength)
            if !trimmed.isEmpty { cleaned.append(.string(trimmed)) }
        }
        if cleaned.isEmpty { return Optional<JSONValue>.none }
        return .array(cleaned)
    }

    private static func freeText(_ value: JSONValue?, _ field: String) throws(QuestionnaireError) -> JSONValue? {
        guard let value else { return nil }
        guard let text = value.stringValue else {
            throw QuestionnaireError(field: field, "Ce champ doit être un texte.")
        }
        let trimmed = try checkedText(text, field: field, limit: QuestionnaireSchema.maxFreeTextLength)
        if trimmed.isEmpty { return Optional<JSONValue>.none }
        return .string(trimmed)
    }

    /// Length in Unicode scalars (what a browser's `maxlength` counts, near
    /// enough) and no control character except tab and line breaks.
    private static func checkedText(_ rawText: String, field: String, limit: Int) throws(QuestionnaireError) -> String {
        // Browsers post textarea line breaks as CRLF but count them once in `maxlength`.
        let text = rawText.normalizingLineBreaks()
        var count = 0
        for scalar in text.unicodeScalars {
            count += 1
            let v = scalar.value
            let isControl = (v < 0x20 && v != 0x09 && v != 0x0A && v != 0x0D) || (v >= 0x7F && v <= 0x9F)
            if isControl {
                throw QuestionnaireError(field: field, "Ce texte contient des caractères de contrôle non autorisés.")
            }
        }
        guard count <= limit else {
            throw QuestionnaireError(field: field, "Ce texte dépasse \(limit) caractères.")
        }
        return text.trimmingSpaces()
    }
}

extension String {
    /// CRLF and lone CR become LF.
    func normalizingLineBreaks() -> String {
        guard unicodeScalars.contains("\r") else { return self }
        var out = String.UnicodeScalarView()
        var previousWasCR = false
        for scalar in unicodeScalars {
            if scalar == "\r" {
                out.append("\n")
                previousWasCR = true
                continue
            }
            if scalar == "\n" && previousWasCR {
                previousWasCR = false
                continue
            }
            previousWasCR = false
            out.append(scalar)
        }
        return String(out)
    }
}
