import BilanCore
#if canImport(Glibc)
import Glibc
#endif

// Helpers shared by the test files: independent decoders (so the tests do not
// trust the code they check), the sample questionnaires and small builders.

public enum TestSupport {
    /// The repository's root, found from this file's path
    /// (`<root>/Tests/BilanCoreTests/TestSupport.swift`), so the tests read
    /// the repository's own files in any clone, wherever it lives.
    public static let repositoryRoot: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()

    /// The sub-folders of `path`.
    public static func directories(in path: String) -> [String] {
        (DirectoryListing.names(in: path) ?? []).filter { isDirectory(path + "/" + $0) }.sorted()
    }

    /// Every `.swift` file under `path`, at any depth.
    public static func swiftFiles(under path: String) -> [String] {
        var files: [String] = []
        for name in (DirectoryListing.names(in: path) ?? []).sorted() {
            let child = path + "/" + name
            if isDirectory(child) {
                files += swiftFiles(under: child)
            } else if name.hasSuffix(".swift") {
                files.append(child)
            }
        }
        return files
    }

    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// The six sample questionnaires of SPEC §5, kept in the repository.
    public static let samplesDirectory = repositoryRoot + "/fixtures/questionnaires/samples"
    /// The shipped `templates/` folder (prompts, labels, facts, distress phrases).
    public static let templatesDirectory = repositoryRoot + "/templates"

    public static let sampleNames = [
        "postbac-reorientation-enseignement.json",
        "premiere-ses-undecided.json",
        "seconde-veto-maths-difficiles.json",
        "terminale-cpge-aero.json",
        "terminale-sante-stress.json",
        "terminale-sti2d-but-info.json",
    ]

    /// The raw bytes of one sample questionnaire.
    public static func sampleBytes(_ name: String) -> [UInt8]? {
        readFileBytes(samplesDirectory + "/" + name)
    }

    /// One sample questionnaire, parsed and validated as the create handler would.
    public static func sample(_ name: String) throws -> JSONValue {
        guard let bytes = sampleBytes(name) else { throw TemplateFileError(path: samplesDirectory + "/" + name, problem: "unreadable") }
        return try QuestionnaireValidator.validate(try JSONParser.parse(bytes))
    }

    /// The shipped labels, facts, level instructions and distress phrases.
    public static func materials() throws -> ReportMaterials {
        try ReportMaterials.load(templatesDirectory: templatesDirectory)
    }

    /// Standard base64 (RFC 4648) decoding; nil on any malformed input.
    public static func base64Decode(_ text: String) -> [UInt8]? {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var table = [UInt8: UInt32]()
        for (index, byte) in alphabet.enumerated() { table[byte] = UInt32(index) }
        let bytes = Array(text.utf8)
        guard bytes.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let quad = bytes[index..<index + 4]
            let padding = quad.filter { $0 == UInt8(ascii: "=") }.count
            guard padding <= 2 else { return nil }
            var value: UInt32 = 0
            for (position, byte) in quad.enumerated() {
                if byte == UInt8(ascii: "=") {
                    guard position >= 4 - padding else { return nil }
                    value <<= 6
                } else {
                    guard let digit = table[byte] else { return nil }
                    value = value << 6 | digit
                }
            }
            out.append(UInt8(value >> 16 & 0xFF))
            if padding < 2 { out.append(UInt8(value >> 8 & 0xFF)) }
            if padding < 1 { out.append(UInt8(value & 0xFF)) }
            index += 4
        }
        return out
    }

    /// Quoted-printable decoding (RFC 2045 §6.7) of CRLF-separated lines.
    public static func quotedPrintableDecode(_ text: String) -> [UInt8] {
        func hexDigit(_ byte: UInt8) -> UInt8? {
            switch byte {
            case 0x30...0x39: return byte - 0x30
            case 0x41...0x46: return byte - 0x41 + 10
            default: return nil
            }
        }
        var out: [UInt8] = []
        let lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)
        for (lineIndex, line) in lines.enumerated() {
            let bytes = Array(line.utf8)
            var index = 0
            var softBreak = false
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "=") {
                    if index == bytes.count - 1 { softBreak = true; break }
                    if index + 2 < bytes.count, let high = hexDigit(bytes[index + 1]), let low = hexDigit(bytes[index + 2]) {
                        out.append(high << 4 | low)
                        index += 3
                        continue
                    }
                    // Malformed escape: keep it visible so the round-trip test fails.
                    out.append(byte)
                    index += 1
                    continue
                }
                out.append(byte)
                index += 1
            }
            if !softBreak && lineIndex < lines.count - 1 { out += [0x0D, 0x0A] }
        }
        return out
    }

    /// The object `base` with `key` set to `value` (appended if new) or removed (nil).
    public static func setting(_ base: JSONValue, _ key: String, _ value: JSONValue?) -> JSONValue {
        var members = base.objectValue ?? []
        if let position = members.firstIndex(where: { $0.0 == key }) {
            if let value { members[position].1 = value } else { members.remove(at: position) }
        } else if let value {
            members.append((key, value))
        }
        return .object(members)
    }

    public static func repeated(_ character: Character, _ count: Int) -> String {
        String(repeating: String(character), count: count)
    }

    /// Every tag (`<name …>`) of an HTML fragment, as written between `<` and `>`.
    public static func tags(in html: String) -> [String] {
        var result: [String] = []
        var rest = html[...]
        while let open = rest.firstIndex(of: "<") {
            let after = rest[rest.index(after: open)...]
            guard let close = after.firstIndex(of: ">") else { break }
            result.append(String(after[..<close]))
            rest = after[after.index(after: close)...]
        }
        return result
    }
}

/// A fresh directory under /tmp (made with `mkdtemp`), for tests that need
/// files on disk; `remove()` deletes it and everything in it.
public struct TemporaryDirectory {
    public let path: String

    public init() throws {
        path = try ScratchDirectory(prefix: "bilan-unit-", in: "/tmp").path
    }

    /// Writes `text` at `relative` (parent folders made as needed).
    public func write(_ relative: String, _ text: String) throws {
        var folder = path
        for part in relative.split(separator: "/").dropLast() {
            folder += "/" + part
            guard mkdir(folder, 0o700) == 0 || errno == EEXIST else { throw SystemError.current("mkdir \(folder)") }
        }
        try writeFileAtomically(path + "/" + relative, Array(text.utf8), mode: 0o600)
    }

    public func delete(_ relative: String) {
        unlink(path + "/" + relative)
    }

    /// Removes the directory and its content; refuses anything but a
    /// directory this type made.
    public func remove() {
        guard path.hasPrefix("/tmp/bilan-unit-") else { return }
        ScratchDirectory.removeTree(path)
    }
}

/// One HTML tag split into its name and attributes (values unquoted, as written).
public struct ParsedTag {
    public var name: String
    public var attributes: [(String, String)]

    public init(_ tag: String) {
        let chars = Array(tag)
        var index = 0
        func isSpace(_ c: Character) -> Bool { c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\u{0C}" }
        var name = ""
        while index < chars.count, !isSpace(chars[index]) { name.append(chars[index]); index += 1 }
        self.name = name.lowercased()
        var attributes: [(String, String)] = []
        while index < chars.count {
            while index < chars.count, isSpace(chars[index]) || chars[index] == "/" { index += 1 }
            var attribute = ""
            while index < chars.count, !isSpace(chars[index]), chars[index] != "=", chars[index] != "/" {
                attribute.append(chars[index]); index += 1
            }
            var value = ""
            while index < chars.count, isSpace(chars[index]) { index += 1 }
            if index < chars.count, chars[index] == "=" {
                index += 1
                while index < chars.count, isSpace(chars[index]) { index += 1 }
                if index < chars.count, chars[index] == "\"" || chars[index] == "'" {
                    let quote = chars[index]
                    index += 1
                    while index < chars.count, chars[index] != quote { value.append(chars[index]); index += 1 }
                    index += 1
                } else {
                    while index < chars.count, !isSpace(chars[index]) { value.append(chars[index]); index += 1 }
                }
            }
            if !attribute.isEmpty { attributes.append((attribute.lowercased(), value)) }
        }
        self.attributes = attributes
    }
}

extension String {
    /// Number of non-overlapping occurrences of `needle`.
    public func occurrences(of needle: String) -> Int {
        var count = 0
        var rest = self[...]
        while let range = rest.firstRange(of: needle) {
            count += 1
            rest = rest[range.upperBound...]
        }
        return count
    }
}
