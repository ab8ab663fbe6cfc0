import BilanCore

/// JSONParser over arbitrary bytes, then JSONValue's writer.
///
/// Properties: a refusal points inside the input; an accepted document is
/// valid UTF-8, nests at most `maxDepth` containers and has no repeated key;
/// the serialised form escapes what HTML embedding needs, parses back to the
/// same value and is byte-stable (ETags are computed from it).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = inputBytes(data, size)
    let value: JSONValue
    do {
        value = try JSONParser.parse(bytes)
    } catch {
        require(error.offset >= 0 && error.offset <= bytes.count, "error offset \(error.offset) outside 0...\(bytes.count)")
        require(!error.reason.isEmpty, "empty error reason")
        return 0
    }
    require(String(validating: bytes, as: UTF8.self) != nil, "accepted a document that is not valid UTF-8")
    require(depth(of: value) <= JSONParser.maxDepth, "nesting \(depth(of: value)) > \(JSONParser.maxDepth)")
    checkKeysUnique(value)

    let text = value.serialized
    for scalar in text.unicodeScalars {
        require(
            scalar.value >= 0x20 && !"<>&\u{2028}\u{2029}".unicodeScalars.contains(scalar),
            "serialised text has a raw U+\(String(scalar.value, radix: 16)): \(text.debugDescription)")
    }
    let reparsed: JSONValue
    do {
        reparsed = try JSONParser.parse(text)
    } catch {
        require(false, "serialised value does not parse: \(error) in \(text.debugDescription)")
        return 0
    }
    require(reparsed == value, "round trip changed the value: \(text.debugDescription)")
    require(reparsed.serialized == text, "serialisation not stable: \(text.debugDescription) vs \(reparsed.serialized.debugDescription)")
    // The String overload reads the same bytes.
    require((try? JSONParser.parse(String(decoding: bytes, as: UTF8.self))) == value, "String overload differs")
    return 0
}

/// Containers on the deepest path (a scalar is 0).
private func depth(of value: JSONValue) -> Int {
    switch value {
    case .array(let elements): return 1 + (elements.map(depth(of:)).max() ?? 0)
    case .object(let members): return 1 + (members.map { depth(of: $0.1) }.max() ?? 0)
    default: return 0
    }
}

private func checkKeysUnique(_ value: JSONValue) {
    switch value {
    case .array(let elements): elements.forEach(checkKeysUnique)
    case .object(let members):
        require(Set(members.map(\.0)).count == members.count, "repeated key accepted: \(members.map(\.0))")
        members.forEach { checkKeysUnique($0.1) }
    default: break
    }
}
