import BilanCore

/// JSON body → JSONParser → QuestionnaireValidator, as POST /api/orientation/create does.
///
/// Properties: a refusal has a message and names only a field the client sent
/// or may send; an accepted questionnaire is canonical and a fixed point
/// (see checkValidatedQuestionnaire in support/Properties.swift).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let input = try? JSONParser.parse(inputBytes(data, size)) else { return 0 }
    let validated: JSONValue
    do {
        validated = try QuestionnaireValidator.validate(input)
    } catch {
        require(!error.message.isEmpty, "refusal without a message")
        // The field named is one the client sent or may send (an unknown key is named as sent, even "").
        if let field = error.field {
            let sent = input.objectValue?.contains { $0.0 == field } ?? false
            require(
                sent || QuestionnaireSchema.keys.contains(field) || field.hasPrefix("moyennes."),
                "refusal names field \(field.debugDescription)")
        }
        return 0
    }
    checkValidatedQuestionnaire(validated)
    return 0
}
