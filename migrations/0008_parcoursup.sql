-- 0008 — Parcoursup open data for the terrain pass (SPEC §13).
--
--   parcoursup_formations  one row per programme and session of the ministry's
--                          open dataset `fr-esr-parcoursup`, typed: only the
--                          columns the selection and the report's table use.
--                          Keyed by (session, codAffForm): `cod_aff_form` is
--                          stable across sessions, so a second session sits
--                          beside the first and the generator reads the latest.
--                          Written only by `bilan-admin import-parcoursup`, one
--                          transaction per file, so a session is never half
--                          replaced.
--   parcoursup_sessions    which file loaded each session, when, and how many
--                          rows it kept and refused: the import says « already
--                          loaded » from here, and the data block names it.
--   "parcoursupRows"       the rows a bilan's terrain pass was given (a snapshot,
--                          not ids: a later import must not change what a
--                          stored report was built from); {"rows": []} when
--                          none matched, NULL until the selection ran.
--   parcoursup_selection() at most `wanted` programmes of the latest session for
--                          a questionnaire: the families of its typesEtudes
--                          (`kinds`, beside each family, narrows it to the
--                          programme types starting with that text; '' keeps
--                          the whole family), the
--                          départements of its mobility scope (NULL: the whole
--                          country), the home département first, and a mix of
--                          selectivities that follows the student's average.
--                          One SQL SELECT, so the planner inlines it and uses
--                          the selection index (EXPLAIN in docs/PARCOURSUP.md).
BEGIN;
-- A migrator stuck behind another session's lock fails instead of hanging.
SET LOCAL lock_timeout = '30s';
SELECT pg_advisory_xact_lock(7301, 0);

CREATE TABLE IF NOT EXISTS parcoursup_formations (
    "session"          smallint NOT NULL,
    "codAffForm"       text NOT NULL,
    "formation"        text NOT NULL,     -- lib_for_voe_ins: the title the candidate sees
    "etablissement"    text NOT NULL,     -- g_ea_lib_vx
    "uai"              text,              -- cod_uai
    "statut"           text,              -- contrat_etab, as published (« Public », « Privé sous contrat d'association »…)
    "departement"      text NOT NULL,     -- dep, normalised to the INSEE code of SPEC §5 (`01`, `2A`, `971`)
    "departementNom"   text,              -- dep_lib
    "academie"         text,              -- acad_mies
    "region"           text,              -- region_etab_aff
    "ville"            text,              -- ville_etab
    "fili"             text NOT NULL,     -- the broad family (BTS, BUT, CPGE, Licence…)
    "typeFormation"    text,              -- form_lib_voe_acc
    "filiereDetaillee" text,              -- fil_lib_voe_acc
    "selective"        boolean,           -- select_form
    "places"           integer,           -- capa_fin
    "voeux"            integer,           -- voe_tot
    "admis"            integer,           -- acc_tot
    "tauxAcces"        numeric(5, 2),     -- taux_acces_ens (older sessions: taux_acces), in %
    "lien"             text,              -- lien_form_psup, https only
    PRIMARY KEY ("session", "codAffForm"),
    CONSTRAINT parcoursup_formations_taux_range CHECK ("tauxAcces" BETWEEN 0 AND 100)
);
-- The selection: one session, a few families, a list of départements; it
-- also holds what the ranking reads, so the candidates come from the index
-- alone (the import vacuums the table, which keeps the visibility map set).
CREATE INDEX IF NOT EXISTS parcoursup_formations_selection_idx
    ON parcoursup_formations ("session", "fili", "departement")
    INCLUDE ("tauxAcces", "voeux", "codAffForm", "typeFormation");

CREATE TABLE IF NOT EXISTS parcoursup_sessions (
    "session"      smallint PRIMARY KEY,
    "sourceFile"   text NOT NULL,
    "importedAt"   timestamptz(3) NOT NULL DEFAULT now(),
    "rowCount"     integer NOT NULL,
    "refusedCount" integer NOT NULL DEFAULT 0
);

ALTER TABLE "orientation_bilans" ADD COLUMN IF NOT EXISTS "parcoursupRows" jsonb;

CREATE OR REPLACE FUNCTION parcoursup_selection(
    families text[], kinds text[], departements text[], home text, average numeric, wanted integer DEFAULT 12)
RETURNS TABLE ("session" smallint, "codAffForm" text, "formation" text, "etablissement" text, "ville" text,
               "departement" text, "statut" text, "selective" boolean, "tauxAcces" numeric, "places" integer,
               "voeux" integer, "lien" text, "band" integer)
LANGUAGE sql STABLE AS $f$
    WITH latest AS (SELECT max(p."session") AS "session" FROM parcoursup_formations p),
    whole AS (
        -- The families taken whole; the others only for their listed programme types.
        SELECT coalesce(array_agg(w.fili), '{}') AS filis FROM unnest(families, kinds) AS w(fili, kind) WHERE w.kind = ''),
    candidates AS MATERIALIZED (
        -- Narrow rows from the index: bands by access rate, 1 très sélective
        -- (< 20 %), 2 sélective (< 50 %), 3 accessible.
        SELECT f."codAffForm", f."voeux", (f."departement" = home) IS TRUE AS at_home,
               CASE WHEN f."tauxAcces" < 20 THEN 1 WHEN f."tauxAcces" < 50 THEN 2 ELSE 3 END AS band
          FROM parcoursup_formations f JOIN latest ON f."session" = latest."session" CROSS JOIN whole
         WHERE f."fili" = ANY (families)
           AND (f."fili" = ANY (whole.filis)
                OR EXISTS (SELECT 1 FROM unnest(families, kinds) AS w(fili, kind)
                            WHERE w.fili = f."fili" AND left(f."typeFormation", length(w.kind)) = w.kind))
           AND (departements IS NULL OR f."departement" = ANY (departements))
           AND f."tauxAcces" IS NOT NULL),
    ranked AS (
        -- The best `wanted` of each band (the home département first, then the
        -- programmes most asked for): a bounded sort per band, never a sort
        -- of the whole country's candidates.
        SELECT c.*, row_number() OVER (
                   PARTITION BY c.band ORDER BY c.at_home DESC, c."voeux" DESC NULLS LAST, c."codAffForm") AS rank
          FROM (VALUES (1), (2), (3)) AS bands(band)
          CROSS JOIN LATERAL (
              SELECT * FROM candidates c WHERE c.band = bands.band
               ORDER BY c.at_home DESC, c."voeux" DESC NULLS LAST, c."codAffForm" LIMIT wanted) c),
    picked AS (
        -- Quotas per band out of 12, by average (sur 20): a strong student sees
        -- more ambitious programmes, a fragile one more safe ones; a band short
        -- of rows leaves its places to the next best of the others.
        SELECT r."codAffForm", r.band FROM ranked r
         ORDER BY r.rank > (CASE
                     WHEN average IS NULL THEN ARRAY[3, 4, 5]
                     WHEN average >= 16 THEN ARRAY[5, 4, 3]
                     WHEN average >= 13 THEN ARRAY[3, 5, 4]
                     WHEN average >= 10 THEN ARRAY[1, 5, 6]
                     ELSE ARRAY[0, 4, 8] END)[r.band],
                  r.rank, r.band
         LIMIT wanted)
    SELECT f."session", f."codAffForm", f."formation", f."etablissement", f."ville", f."departement", f."statut",
           f."selective", f."tauxAcces", f."places", f."voeux", f."lien", p.band
      FROM picked p CROSS JOIN latest
      JOIN parcoursup_formations f ON f."session" = latest."session" AND f."codAffForm" = p."codAffForm"
     ORDER BY p.band, f."tauxAcces", f."formation", f."codAffForm"
$f$;

INSERT INTO schema_migrations ("version") VALUES ('0008_parcoursup') ON CONFLICT DO NOTHING;
COMMIT;
