import Testing
import BilanTestSupport
@testable import BilanCore

/// docs/ARCHITECTURE.md's import rules, read from the sources: a module that
/// imports what the page does not allow it fails here, not in a review.
@Suite("Architecture: imports per module")
struct ArchitectureTests {
    static let system: Set<String> = ["Glibc", "Testing"]
    /// What each folder of Sources/ may import (docs/ARCHITECTURE.md).
    static let allowed: [String: Set<String>] = [
        "BilanCore": ["CLibPQ", "Logging"],
        "BilanHTTP": ["CCurl"],
        "BilanMail": ["BilanCore", "BilanHTTP"],
        "BilanMarkdown": ["BilanCore", "CCmark"],
        "BilanWeb": ["BilanCore", "BilanMarkdown", "CFastCGI", "CSpawn", "Logging"],
        "BilanPush": ["BilanCore", "BilanHTTP", "Crypto"],
        "BilanGeneration": ["BilanCore", "BilanHTTP", "BilanMail", "BilanMarkdown", "BilanPush", "CSpawn", "Logging"],
        "Handlers": ["BilanWeb"],
        "Generator": ["BilanCore", "BilanGeneration", "Logging"],
        "Admin": ["ArgumentParser", "BilanCore", "BilanGeneration", "BilanMail", "BilanPush", "BilanWeb", "Logging"],
    ]

    static func imports(of module: String) -> [String: Set<String>] {
        var found: [String: Set<String>] = [:]
        let root = TestSupport.repositoryRoot + "/Sources/" + module
        for file in TestSupport.swiftFiles(under: root) {
            guard let text = readTextFile(file) else { continue }
            for line in text.split(separator: "\n") {
                let words = line.split(separator: " ").map(String.init)
                guard let index = words.firstIndex(of: "import"), index <= 1, index + 1 < words.count else { continue }
                if index == 1, !["public", "@testable", "internal", "package"].contains(words[0]) { continue }
                found[words[index + 1], default: []].insert(String(file.dropFirst(root.count + 1)))
            }
        }
        return found
    }

    @Test(arguments: allowed.keys.sorted())
    func moduleImportsOnlyWhatItMay(_ module: String) {
        let imports = Self.imports(of: module)
        #expect(!imports.isEmpty, "no Swift file read under Sources/\(module)")
        for (name, files) in imports where !(Self.allowed[module]!.contains(name) || Self.system.contains(name)) {
            Issue.record("\(module) imports \(name) (in \(files.sorted().joined(separator: ", "))): not allowed by docs/ARCHITECTURE.md")
        }
    }

    @Test func everyModuleHasItsRules() {
        let folders = Set(TestSupport.directories(in: TestSupport.repositoryRoot + "/Sources").filter { !$0.hasPrefix("C") })
        #expect(folders == Set(Self.allowed.keys), "modules without rules: \(folders.subtracting(Self.allowed.keys))")
    }

    @Test func noLibcurlConstantOutsideTheHTTPModule() {
        for module in Self.allowed.keys where module != "BilanHTTP" {
            for file in TestSupport.swiftFiles(under: TestSupport.repositoryRoot + "/Sources/" + module) {
                let text = readTextFile(file) ?? ""
                #expect(!text.contains("CURLOPT_") && !text.contains("CURLE_"), "\(file) names a libcurl constant")
            }
        }
    }
}
