/// Where the terrain pass gets its programmes (SPEC §13). A protocol so the
/// pass runner is tested with rows of its own, without a database.
public protocol ProgrammeCatalog {
    /// At most 12 programmes of the latest session for the request; no rows
    /// when nothing is imported or nothing matches.
    func programmes(for request: ProgrammeRequest) throws -> ProgrammeSelection
}

/// No open data at all: every bilan is written as before SPEC §13.
public struct NoProgrammeCatalog: ProgrammeCatalog {
    public init() {}
    public func programmes(for request: ProgrammeRequest) throws -> ProgrammeSelection {
        ProgrammeSelection(session: nil, scope: request.scope, rows: [])
    }
}

/// `parcoursup_selection()` of migrations/0008, on the generator's connection.
public struct ParcoursupCatalog: ProgrammeCatalog {
    let connection: PGConnection

    public init(connection: PGConnection) { self.connection = connection }

    public func programmes(for request: ProgrammeRequest) throws -> ProgrammeSelection {
        let result = try connection.query(
            ParcoursupQueries.selection.sql,
            [
                TextArrayLiteral.of(request.families.map(\.fili)), TextArrayLiteral.of(request.families.map(\.typePrefix)),
                request.departements.map(TextArrayLiteral.of), request.home, request.average.map { String($0) },
            ])
        var rows: [Programme] = []
        for row in 0..<result.rowCount {
            guard let code = result.string(row, 1), let rate = result.string(row, 8).flatMap(Double.init) else { continue }
            rows.append(
                Programme(
                    codAffForm: code, formation: result.string(row, 2) ?? "", etablissement: result.string(row, 3) ?? "",
                    ville: result.string(row, 4) ?? "", departement: result.string(row, 5) ?? "",
                    statut: result.string(row, 6), selective: result.bool(row, 7), tauxAcces: rate,
                    places: result.int(row, 9), voeux: result.int(row, 10), lien: result.string(row, 11)))
        }
        return ProgrammeSelection(session: result.int(0, 0), scope: request.scope, rows: rows)
    }
}
