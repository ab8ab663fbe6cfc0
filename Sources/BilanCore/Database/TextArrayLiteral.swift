/// A `text[]` parameter as PostgreSQL's array literal, `{"a","b \"c\""}`:
/// every element quoted, `"` and `\` escaped, so any text round-trips.
public enum TextArrayLiteral {
    public static func of(_ values: [String]) -> String {
        let quoted = values.map { value -> String in
            var escaped = ""
            for character in value {
                if character == "\"" || character == "\\" { escaped.append("\\") }
                escaped.append(character)
            }
            return "\"" + escaped + "\""
        }
        return "{" + quoted.joined(separator: ",") + "}"
    }
}
