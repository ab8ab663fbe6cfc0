/// Where to send the browser after login: a path on this site only, so a
/// crafted link cannot bounce a student to another site (open redirect).
public enum ReturnPath {
    public static let fallback = "/orientation/"

    public static func sanitize(_ candidate: String?) -> String {
        guard let path = candidate, path.hasPrefix("/"), !path.hasPrefix("//"), path.utf8.count <= 512 else {
            return fallback
        }
        for scalar in path.unicodeScalars {
            // Backslashes are read as slashes by browsers ("/\evil.com"); control
            // characters could split headers.
            if scalar == "\\" || scalar.value < 0x21 || scalar.value == 0x7F || scalar.value > 0x7E { return fallback }
        }
        return path
    }
}

