/// Queries of `bilan-admin import-parcoursup` and of the programme selection
/// (migrations/0008). The import's statements depend on the file's header,
/// so they are built here, but only from column *numbers*: the staging table's
/// columns are `c1`…`cN`, and no text of the file ever becomes SQL. Values
/// travel through COPY and parameters.
public enum ParcoursupQueries {
    /// One text column per column of the file, and the row's line in the file
    /// (the header is line 1). Dropped at COMMIT or ROLLBACK.
    public static func createStaging(columnCount: Int) -> SQLStatement {
        let columns = (1...columnCount).map { "c\($0) text" }.joined(separator: ", ")
        return SQLStatement(
            "parcoursup_create_staging",
            """
            CREATE TEMP TABLE parcoursup_staging (
                "line" bigint GENERATED ALWAYS AS IDENTITY (START WITH 2), "reason" text, \(columns)
            ) ON COMMIT DROP
            """)
    }

    /// The file as the ministry exports it: `;`, double quotes, UTF-8, a
    /// header line (skipped here: it was read by `ParcoursupHeader`).
    public static func copyIntoStaging(columnCount: Int) -> SQLStatement {
        let columns = (1...columnCount).map { "c\($0)" }.joined(separator: ", ")
        return SQLStatement(
            "parcoursup_copy",
            "COPY parcoursup_staging (\(columns)) FROM STDIN WITH (FORMAT csv, DELIMITER ';', HEADER true, ENCODING 'UTF8')")
    }

    /// Temporary tables are never analysed by autovacuum, and the checks below
    /// group and join on `cod_aff_form`: its statistics only (all 118 columns
    /// would take seconds).
    public static func analyzeStaging(_ header: ParcoursupHeader) -> SQLStatement {
        SQLStatement("parcoursup_analyze_staging", "ANALYZE parcoursup_staging (c\(header.columns[.codAffForm] ?? 1))")
    }

    /// After an import (outside its transaction): fresh statistics for the
    /// selection's plan, and the visibility map that lets it read the index alone.
    public static let vacuumTable = SQLStatement("parcoursup_vacuum", "VACUUM (ANALYZE) parcoursup_formations")

    /// One import at a time, until COMMIT.
    public static let lockImports = SQLStatement(
        "parcoursup_lock_imports", "SELECT pg_advisory_xact_lock(\(LockSpace.parcoursupImport.rawValue), 0)")

    /// With `--session`: rows of another session leave the staging table. $1 session. Column: rows left out.
    public static func dropOtherSessions(_ header: ParcoursupHeader) -> SQLStatement {
        let session = value(.session, header)
        return SQLStatement(
            "parcoursup_drop_other_sessions",
            """
            WITH gone AS (DELETE FROM parcoursup_staging s WHERE \(session) IS NOT NULL AND \(session) <> $1::text RETURNING 1)
            SELECT count(*) FROM gone
            """)
    }

    /// Marks each row that cannot be loaded with the first reason found.
    /// $1 the session given with `--session` (NULL: each row's own).
    public static func refuseBadRows(_ header: ParcoursupHeader) -> SQLStatement {
        func text(_ field: ParcoursupField) -> String { value(field, header) }
        func wholeNumber(_ field: ParcoursupField) -> String {
            "WHEN \(text(field)) !~ '^[0-9]{1,9}$' THEN format('\(field.technicalNames[0]) %L is not a whole number', \(text(field)))"
        }
        let rate = "replace(\(text(.tauxAcces)), ',', '.')"
        let departement = departementCode(header)
        // Computed for every row, written only where there is a reason: an
        // UPDATE of all 20,000 rows would copy every one of them.
        return SQLStatement(
            "parcoursup_refuse_bad_rows",
            """
            UPDATE parcoursup_staging t SET "reason" = checked."reason"
              FROM (SELECT s."line", CASE
                WHEN $1::int IS NULL AND coalesce(\(text(.session)), '') !~ '^[0-9]{4}$'
                    THEN format('session %L is not a year', coalesce(\(text(.session)), ''))
                WHEN \(text(.codAffForm)) IS NULL THEN 'no cod_aff_form'
                WHEN \(text(.codAffForm)) !~ '^[0-9A-Za-z_-]{1,32}$'
                    THEN format('cod_aff_form %L is not an identifier', \(text(.codAffForm)))
                WHEN \(text(.formation)) IS NULL THEN 'no lib_for_voe_ins (the programme''s title)'
                WHEN \(text(.etablissement)) IS NULL THEN 'no g_ea_lib_vx (the establishment)'
                WHEN \(text(.fili)) IS NULL THEN 'no fili (the family)'
                WHEN \(departement) IS NULL OR \(departement) !~ '^(0[1-9]|1[0-9]|2[1-9AB]|[3-8][0-9]|9[0-5]|97[1-6])$'
                    THEN format('dep %L is not a département code', \(text(.departement)))
                WHEN \(rate) !~ '^[0-9]{1,3}([.][0-9]+)?$'
                    THEN format('taux_acces_ens %L is not a number', \(text(.tauxAcces)))
                WHEN \(rate)::numeric > 100 THEN format('taux_acces_ens %s is over 100', \(text(.tauxAcces)))
                \(wholeNumber(.places))
                \(wholeNumber(.voeux))
                \(wholeNumber(.admis))
            END AS "reason" FROM parcoursup_staging s) checked
             WHERE checked."reason" IS NOT NULL AND t."line" = checked."line"
            """)
    }

    /// Columns: rows kept, rows refused.
    public static let counts = SQLStatement(
        "parcoursup_counts",
        #"SELECT count(*) FILTER (WHERE "reason" IS NULL), count(*) FILTER (WHERE "reason" IS NOT NULL) FROM parcoursup_staging"#)

    /// The refusals grouped. Columns: reason, rows, the first lines (text).
    public static let refusals = SQLStatement(
        "parcoursup_refusals",
        """
        SELECT "reason", count(*), array_to_string((array_agg("line" ORDER BY "line"))[1:5], ', ')
          FROM parcoursup_staging WHERE "reason" IS NOT NULL
         GROUP BY "reason" ORDER BY min("line") LIMIT 20
        """)

    /// A programme given twice: the file cannot say which row is right.
    /// Columns: cod_aff_form, its lines.
    public static func duplicates(_ header: ParcoursupHeader) -> SQLStatement {
        let code = value(.codAffForm, header)
        return SQLStatement(
            "parcoursup_duplicates",
            """
            SELECT \(code), string_agg("line"::text, ', ' ORDER BY "line")
              FROM parcoursup_staging s WHERE "reason" IS NULL
             GROUP BY 1 HAVING count(*) > 1 ORDER BY min("line") LIMIT 5
            """)
    }

    /// The sessions the kept rows belong to. Columns: session, rows.
    public static func sessions(_ header: ParcoursupHeader) -> SQLStatement {
        let session = value(.session, header)
        return SQLStatement(
            "parcoursup_sessions_in_file",
            #"SELECT \#(session)::int, count(*) FROM parcoursup_staging s WHERE "reason" IS NULL GROUP BY 1 ORDER BY 1"#)
    }

    /// $1 session. Columns: rows, imported at (text), source file.
    public static let loadedSession = SQLStatement(
        "parcoursup_loaded_session",
        #"SELECT "rowCount", "importedAt"::text, "sourceFile" FROM parcoursup_sessions WHERE "session" = $1::smallint"#)

    /// The session's programmes that the file no longer holds. $1 session. Column: rows removed.
    public static func removeAbsent(_ header: ParcoursupHeader) -> SQLStatement {
        let code = value(.codAffForm, header)
        return SQLStatement(
            "parcoursup_remove_absent",
            """
            WITH gone AS (
                DELETE FROM parcoursup_formations f
                 WHERE f."session" = $1::smallint
                   AND NOT EXISTS (SELECT 1 FROM parcoursup_staging s WHERE s."reason" IS NULL AND \(code) = f."codAffForm")
                RETURNING 1)
            SELECT count(*) FROM gone
            """)
    }

    static let storedColumns = [
        "codAffForm", "formation", "etablissement", "uai", "statut", "departement", "departementNom", "academie",
        "region", "ville", "fili", "typeFormation", "filiereDetaillee", "selective", "places", "voeux", "admis",
        "tauxAcces", "lien",
    ]

    /// The kept rows, typed, into the session: new ones inserted, changed ones
    /// updated, identical ones left alone (so a second import of the same
    /// file writes nothing). $1 session. Columns: inserted, updated.
    public static func upsert(_ header: ParcoursupHeader) -> SQLStatement {
        func text(_ field: ParcoursupField) -> String { value(field, header) }
        let selectivity = "lower(\(text(.selective)))"
        let typed = [
            text(.codAffForm), text(.formation), text(.etablissement), text(.uai), text(.statut), departementCode(header),
            text(.departementNom), text(.academie), text(.region), text(.ville), text(.fili), text(.typeFormation),
            text(.filiereDetaillee),
            "CASE WHEN \(selectivity) LIKE '%non%' THEN false WHEN \(selectivity) LIKE '%lecti%' THEN true END",
            "\(text(.places))::integer", "\(text(.voeux))::integer", "\(text(.admis))::integer",
            "replace(\(text(.tauxAcces)), ',', '.')::numeric(5, 2)",
            // Links go into reports: https, and nothing that could end a Markdown link.
            "CASE WHEN \(text(.lien)) ~ '^https://[^[:space:]<>\"()\\[\\]|]+$' THEN \(text(.lien)) END",
        ]
        let names = storedColumns.map { "\"\($0)\"" }
        let changed = names.dropFirst().map { "f.\($0)" }.joined(separator: ", ")
        let incoming = names.dropFirst().map { "EXCLUDED.\($0)" }.joined(separator: ", ")
        return SQLStatement(
            "parcoursup_upsert",
            """
            WITH written AS (
                INSERT INTO parcoursup_formations AS f ("session", \(names.joined(separator: ", ")))
                SELECT $1::smallint, \(typed.joined(separator: ", "))
                  FROM parcoursup_staging s WHERE s."reason" IS NULL
                ON CONFLICT ("session", "codAffForm") DO UPDATE
                   SET (\(names.dropFirst().joined(separator: ", "))) = (\(incoming))
                 WHERE (\(changed)) IS DISTINCT FROM (\(incoming))
                RETURNING (xmax = 0) AS inserted)
            SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM written
            """)
    }

    /// $1 session, $2 file, $3 rows kept, $4 rows refused.
    public static let recordSession = SQLStatement(
        "parcoursup_record_session",
        """
        INSERT INTO parcoursup_sessions ("session", "sourceFile", "importedAt", "rowCount", "refusedCount")
        VALUES ($1::smallint, $2, now(), $3::int, $4::int)
        ON CONFLICT ("session") DO UPDATE
           SET "sourceFile" = EXCLUDED."sourceFile", "importedAt" = EXCLUDED."importedAt",
               "rowCount" = EXCLUDED."rowCount", "refusedCount" = EXCLUDED."refusedCount"
        """)

    /// The programmes for one questionnaire (migrations/0008). $1 families,
    /// $2 type prefixes beside them, $3 départements or NULL (whole country),
    /// $4 home département or NULL, $5 average or NULL. Columns: session,
    /// codAffForm, formation, etablissement, ville, departement, statut,
    /// selective, tauxAcces, places, voeux, lien, band.
    public static let selection = SQLStatement(
        "parcoursup_selection",
        "SELECT * FROM parcoursup_selection($1::text[], $2::text[], $3::text[], $4, $5::numeric)")

    /// Loaded sessions, newest first. Columns: session, rows, refused, imported at, file.
    public static let loadedSessions = SQLStatement(
        "parcoursup_loaded_sessions",
        """
        SELECT "session", "rowCount", "refusedCount", "importedAt"::text, "sourceFile"
          FROM parcoursup_sessions ORDER BY "session" DESC
        """)

    /// A field's trimmed value in the staging row `s`, NULL when empty or
    /// when the file has no such column.
    static func value(_ field: ParcoursupField, _ header: ParcoursupHeader) -> String {
        guard let column = header.columns[field] else { return "NULL::text" }
        return "nullif(btrim(s.c\(column)), '')"
    }

    /// `dep` as SPEC §5 writes it: `1` → `01`, `2a` → `2A`.
    static func departementCode(_ header: ParcoursupHeader) -> String {
        let dep = value(.departement, header)
        return "CASE WHEN \(dep) ~ '^[0-9]$' THEN '0' || \(dep) ELSE upper(\(dep)) END"
    }
}
