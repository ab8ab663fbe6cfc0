/// Applies `migrations/NNNN_name.sql` in order, each once. Every file is
/// itself idempotent and records itself in `schema_migrations`, so it can
/// also be run by hand with `psql -f`; this runner only skips what is recorded.
public struct Migrator {
    let connection: PGConnection
    let directory: String

    public init(connection: PGConnection, directory: String) {
        self.connection = connection
        self.directory = directory
    }

    /// The versions applied by this run, in order.
    public func applyPending() throws -> [String] {
        let files = try migrationFiles()
        let applied = try appliedVersions()
        var done: [String] = []
        for file in files {
            let version = String(file.dropLast(4))
            if applied.contains(version) { continue }
            guard let sql = readTextFile(directory + "/" + file) else {
                throw ConfigurationError(setting: "MIGRATIONS_DIR", problem: "cannot read \(directory)/\(file)")
            }
            try connection.runScript(sql)
            done.append(version)
        }
        return done
    }

    private func appliedVersions() throws -> Set<String> {
        let exists = try connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL")
        guard exists.bool(0, 0) == true else { return [] }
        let rows = try connection.query(#"SELECT "version" FROM schema_migrations"#)
        return Set((0..<rows.rowCount).compactMap { rows.string($0, 0) })
    }

    private func migrationFiles() throws -> [String] {
        guard let names = DirectoryListing.names(in: directory) else {
            throw ConfigurationError(setting: "MIGRATIONS_DIR", problem: "no such folder: \(directory)")
        }
        return names.filter { $0.hasSuffix(".sql") && ($0.first?.isNumber ?? false) }.sorted()
    }
}
