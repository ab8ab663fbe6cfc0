import BilanCore
import BilanWeb

/// `application/x-www-form-urlencoded` bodies and query strings
/// (FormDecoding.pairs), then the no-JS form's path to the validator
/// (QuestionnaireForm.json → QuestionnaireValidator.validate).
///
/// Properties: nothing is lost in decoding (each part decodes to exactly its
/// length minus two bytes per `%XX`, so a `%00` can never cut a value short);
/// FormDecoding.encode then pairs gives the same pairs back; a questionnaire
/// built from a form is never accepted with a repeated key (the strict parser
/// would refuse it) and, once validated, is canonical and a fixed point.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = inputBytes(data, size)
    let pairs: [(String, String)]
    do {
        pairs = try FormDecoding.pairs(bytes)
    } catch {
        return 0
    }

    let parts = bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true)
    require(parts.count == pairs.count, "\(parts.count) parts but \(pairs.count) pairs")
    for (part, (name, value)) in zip(parts, pairs) {
        let escapes = part.filter { $0 == UInt8(ascii: "%") }.count
        let separator = part.contains(UInt8(ascii: "=")) ? 1 : 0
        require(
            name.utf8.count + separator + value.utf8.count == part.count - 2 * escapes,
            "decoded \(name.debugDescription)=\(value.debugDescription) from \(part.count) bytes with \(escapes) escapes")
    }

    let reencoded = pairs.map { FormDecoding.encode($0.0) + "=" + FormDecoding.encode($0.1) }.joined(separator: "&")
    for byte in reencoded.utf8 {
        require(
            byte == UInt8(ascii: "%") || byte == UInt8(ascii: "=") || byte == UInt8(ascii: "&")
                || (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || "-_.~/".utf8.contains(byte),
            "encode left byte \(byte) in \(reencoded)")
    }
    do {
        let again = try FormDecoding.pairs(Array(reencoded.utf8))
        require(
            again.count == pairs.count && zip(again, pairs).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 },
            "encode/decode round trip changed the pairs: \(reencoded)")
    } catch {
        require(false, "re-encoded form does not decode: \(reencoded)")
    }

    let json: JSONValue
    do {
        json = try QuestionnaireForm.json(from: pairs)
    } catch {
        require(!error.message.isEmpty, "refusal without a message")
        return 0
    }
    guard let members = json.objectValue else { require(false, "form JSON is not an object"); return 0 }
    let repeatsAKey = Set(members.map(\.0)).count != members.count
    guard let validated = try? QuestionnaireValidator.validate(json) else { return 0 }
    // JSONParser refuses repeated keys so that no second value can slip past the
    // validator, which reads the first. QuestionnaireForm can still build one
    // (`moyennes=…` next to `moyennes.<matière>=…`, see README "Bugs found"): harmless
    // only as long as such a questionnaire is refused.
    require(!repeatsAKey, "form JSON with a repeated key was accepted: \(members.map(\.0))")
    checkValidatedQuestionnaire(validated)
    return 0
}
