import BilanCore

// Shared by every target: how a violated property is reported, and the
// properties of a validated questionnaire (reached from JSON and from the form).

/// Stops the run when a property fails: libFuzzer reports the trap as a crash
/// and saves the input under .build-fuzz/artifacts/<target>/.
func require(
    _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
    file: StaticString = #fileID, line: UInt = #line
) {
    if !condition() { fatalError("fuzz property violated: \(message())", file: file, line: line) }
}

/// The input as the array the code under test takes.
func inputBytes(_ data: UnsafePointer<UInt8>, _ size: Int) -> [UInt8] {
    Array(UnsafeBufferPointer(start: data, count: size))
}

/// What SPEC §5 and QuestionnaireValidator's doc comment promise of its output:
/// canonical (known keys once each, schema order), within every limit, and a
/// fixed point — validating it again, or after a trip through storage (JSON
/// text and back), gives the same value.
func checkValidatedQuestionnaire(_ validated: JSONValue) {
    guard let members = validated.objectValue else { require(false, "validated value is not an object"); return }
    var lastPosition = -1
    for (key, _) in members {
        guard let position = QuestionnaireSchema.keys.firstIndex(of: key) else {
            require(false, "unknown key kept: \(key)")
            return
        }
        require(position > lastPosition, "keys not unique or not in schema order: \(members.map(\.0))")
        lastPosition = position
    }
    require(validated["niveau"]?.stringValue.map(QuestionnaireSchema.niveaux.contains) == true, "niveau")
    require(validated["filiere"]?.stringValue.map(QuestionnaireSchema.filieres.contains) == true, "filiere")
    if validated["serie"] != nil {
        require(validated["filiere"] == "TECHNOLOGIQUE", "serie without the technological filière")
    }
    require(
        validated["projetProfessionnel"] != nil || validated["centresInteret"] != nil,
        "neither projetProfessionnel nor centresInteret")
    for (key, value) in members {
        switch key {
        case "specialites", "options", "typesEtudes":
            let items = value.arrayValue ?? []
            require(!items.isEmpty, "\(key): empty list kept")
            require(Set(items.compactMap(\.stringValue)).count == items.count, "\(key): repeated or non-text item")
            if key == "specialites" { require(items.count <= QuestionnaireSchema.maxSpecialites, "too many specialites") }
        case "moyennes":
            let grades = value.objectValue ?? []
            require(!grades.isEmpty && grades.count <= QuestionnaireSchema.maxGradeKeys, "moyennes: count \(grades.count)")
            for (subject, grade) in grades {
                require(!subject.isEmpty && subject.utf8.count <= QuestionnaireSchema.maxGradeKeyLength, "grade key \(subject)")
                require(grade.numberValue.map { $0 >= 0 && $0 <= 20 } == true, "grade \(subject) = \(grade)")
            }
        case "matieresPreferees":
            let items = value.arrayValue ?? []
            require(!items.isEmpty && items.count <= QuestionnaireSchema.maxPreferredSubjects, "matieresPreferees count")
            for item in items {
                checkCleanText(item, field: key, limit: QuestionnaireSchema.maxPreferredSubjectLength)
            }
        case "alternance":
            require(value.boolValue != nil, "alternance is not a boolean")
        case _ where QuestionnaireSchema.freeTextFields.contains(key):
            checkCleanText(value, field: key, limit: QuestionnaireSchema.maxFreeTextLength)
        default:
            require(value.stringValue != nil, "\(key) is not a text")
        }
    }

    // A fixed point, directly and after storage.
    do {
        let again = try QuestionnaireValidator.validate(validated)
        require(again == validated, "not idempotent:\n\(validated.serialized)\n\(again.serialized)")
    } catch {
        require(false, "validated questionnaire refused the second time: \(error.message)\n\(validated.serialized)")
    }
    let stored = validated.serialized
    do {
        let reloaded = try JSONParser.parse(stored)
        require(reloaded == validated, "storage round trip changed the value: \(stored)")
        let revalidated = try QuestionnaireValidator.validate(reloaded)
        require(revalidated == validated, "revalidation after storage changed the value: \(stored)")
    } catch {
        require(false, "stored questionnaire does not load again: \(error) in \(stored)")
    }
}

/// A free text as the validator leaves it: non-empty, trimmed, CR-free, no
/// control characters, at most `limit` scalars.
private func checkCleanText(_ value: JSONValue, field: String, limit: Int) {
    guard let text = value.stringValue else { require(false, "\(field) is not a text"); return }
    require(!text.isEmpty, "\(field): empty text kept")
    require(text.unicodeScalars.count <= limit, "\(field): longer than \(limit)")
    for scalar in text.unicodeScalars {
        let v = scalar.value
        require(v != 0x0D, "\(field): CR left in text")
        require((v >= 0x20 || v == 0x09 || v == 0x0A) && !(v >= 0x7F && v <= 0x9F), "\(field): control U+\(v)")
    }
    let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
    require(!isSpace(text.first!) && !isSpace(text.last!), "\(field): not trimmed: \(text.debugDescription)")
}
