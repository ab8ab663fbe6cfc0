/// Loads templates from `TEMPLATES_DIR` at run time, so a site edits wording
/// and design without rebuilding. Parsed templates are cached per process.
public final class TemplateLibrary {
    public struct Missing: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var problem: String
        public var description: String { "template \(path): \(problem)" }

        public init(path: String, problem: String) {
            self.path = path
            self.problem = problem
        }
    }

    private let directory: String
    private var cache: [String: Template] = [:]

    public init(directory: String) { self.directory = directory }

    /// `name` is relative to the templates folder, e.g. `mail/bilan-ready.html`.
    public func template(_ name: String) throws(Missing) -> Template {
        if let cached = cache[name] { return cached }
        let path = directory + "/" + name
        guard let source = readTextFile(path) else { throw Missing(path: path, problem: "missing or unreadable") }
        do {
            let template = try Template(source)
            cache[name] = template
            return template
        } catch {
            throw Missing(path: path, problem: error.description)
        }
    }
}
