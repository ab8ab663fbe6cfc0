/// One programme of the open data, as the terrain pass and the report's
/// table show it.
public struct Programme: Sendable, Equatable {
    public var codAffForm: String
    public var formation: String
    public var etablissement: String
    public var ville: String
    public var departement: String
    public var statut: String?
    public var selective: Bool?
    /// The ministry's taux d'accès, in % (SPEC §13).
    public var tauxAcces: Double
    public var places: Int?
    public var voeux: Int?
    public var lien: String?

    public init(
        codAffForm: String, formation: String, etablissement: String, ville: String, departement: String,
        statut: String?, selective: Bool?, tauxAcces: Double, places: Int?, voeux: Int?, lien: String?
    ) {
        self.codAffForm = codAffForm
        self.formation = formation
        self.etablissement = etablissement
        self.ville = ville
        self.departement = departement
        self.statut = statut
        self.selective = selective
        self.tauxAcces = tauxAcces
        self.places = places
        self.voeux = voeux
        self.lien = lien
    }

    /// « 54 % », « 7,5 % »: as the table prints it and the report check reads it.
    public var rateText: String { FrenchNumber.text(tauxAcces) + " %" }

    /// « formation sélective », « formation non sélective », or nil when the file did not say.
    public var selectivityText: String? {
        selective.map { $0 ? "formation sélective" : "formation non sélective" }
    }
}

/// The programmes one bilan was given, stored with it (`"parcoursupRows"`)
/// so a resumed run, a repair and `bilan-admin show` all see the same rows
/// even after a new import.
public struct ProgrammeSelection: Sendable, Equatable {
    /// How the prompt and the table name the data.
    public static let source = "données ouvertes Parcoursup du ministère chargé de l'Enseignement supérieur (jeu fr-esr-parcoursup)"

    /// The session the rows come from; nil when nothing matched.
    public var session: Int?
    /// Where they were looked for, in words: « région Bretagne », « toute la France ».
    public var scope: String
    public var rows: [Programme]

    public init(session: Int?, scope: String, rows: [Programme]) {
        self.session = session
        self.scope = scope
        self.rows = rows
    }

    public var json: JSONValue {
        .object([
            ("session", session.map { .number(Double($0)) } ?? .null),
            ("scope", .string(scope)),
            ("rows", .array(rows.map { row in
                .object([
                    ("codAffForm", .string(row.codAffForm)), ("formation", .string(row.formation)),
                    ("etablissement", .string(row.etablissement)), ("ville", .string(row.ville)),
                    ("departement", .string(row.departement)), ("statut", .optional(row.statut)),
                    ("selective", row.selective.map { .bool($0) } ?? .null), ("tauxAcces", .number(row.tauxAcces)),
                    ("places", row.places.map { .number(Double($0)) } ?? .null),
                    ("voeux", row.voeux.map { .number(Double($0)) } ?? .null), ("lien", .optional(row.lien)),
                ])
            })),
        ])
    }

    /// A stored selection; nil for anything else (NULL: not selected yet).
    public init?(json: JSONValue) {
        guard let rows = json["rows"]?.arrayValue else { return nil }
        var programmes: [Programme] = []
        for row in rows {
            guard let code = row["codAffForm"]?.stringValue, let formation = row["formation"]?.stringValue,
                let rate = row["tauxAcces"]?.numberValue
            else { return nil }
            programmes.append(
                Programme(
                    codAffForm: code, formation: formation, etablissement: row["etablissement"]?.stringValue ?? "",
                    ville: row["ville"]?.stringValue ?? "", departement: row["departement"]?.stringValue ?? "",
                    statut: row["statut"]?.stringValue, selective: row["selective"]?.boolValue, tauxAcces: rate,
                    places: row["places"]?.numberValue.map { Int($0) }, voeux: row["voeux"]?.numberValue.map { Int($0) },
                    lien: row["lien"]?.stringValue))
        }
        self.init(session: json["session"]?.numberValue.map { Int($0) }, scope: json["scope"]?.stringValue ?? "", rows: programmes)
    }
}

/// Numbers as French text: `54`, `7,5`, `12 410`.
public enum FrenchNumber {
    /// At most two decimals, trailing zeros dropped, a comma for the point.
    public static func text(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let whole = hundredths / 100
        var fraction = hundredths % 100
        guard fraction != 0 else { return String(whole) }
        var digits = fraction < 10 ? "0\(fraction)" : "\(fraction)"
        if fraction % 10 == 0 {
            fraction /= 10
            digits = "\(fraction)"
        }
        return "\(whole),\(digits)"
    }

    /// Thousands separated by a space, as French prints counts.
    public static func grouped(_ value: Int) -> String {
        let digits = Array(String(value))
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(" ") }
            out.append(digit)
        }
        return out
    }
}
