"""PostgreSQL alone: transactions/s of the status statement's shapes with pgbench, one client,
unprepared (`-M extended`, what PQexecParams does) and prepared (`-M prepared`), same run.
Usage, from the repository root: /usr/bin/python3 -m bench.query_shapes [seconds per measurement, default 5]
(docs/PERFORMANCE.md, "Tuning"). Starts its own throwaway stack through scripts/devstack.py."""
import re, shutil, sys, os, subprocess, tempfile
from pathlib import Path
from scripts.devstack import Stack, PG_BIN
root = Path(tempfile.mkdtemp(prefix="pgexp-")); os.chmod(root, 0o755)
s = Stack(root, workers=1)  # executables from BILAN_BIN, as everywhere (default .build/release)
s.start()
try:
    tok = s.subscriber("x@example.org")
    uid = s.psql("SELECT id FROM users")
    bid = s.psql("""INSERT INTO "orientation_bilans" ("userId","questionnaire","progressStep") VALUES (:'v1'::uuid,'{}',1) RETURNING id""", uid)
    s.psql("""
CREATE OR REPLACE FUNCTION bench_lookup(token text, bid uuid) RETURNS TABLE (uid uuid, id uuid, status text, step int, c bigint, u bigint, d bigint, r text, e text)
LANGUAGE plpgsql STABLE AS $f$
BEGIN
  RETURN QUERY SELECT x.uid, b."id", b."status"::text, b."progressStep"::int,
               (extract(epoch FROM b."createdAt") * 1000)::bigint,
               (extract(epoch FROM b."updatedAt") * 1000)::bigint,
               (extract(epoch FROM b."completedAt") * 1000)::bigint,
               b."resultat", b."errorMessage"
          FROM (SELECT orientation_session_user(token) AS uid) x
          LEFT JOIN "orientation_bilans" b ON b."id" = bid AND b."userId" = x.uid;
END $f$;
""")
    # The same, with the session lookup itself in PL/pgSQL (its plan cached per connection).
    s.psql("""
CREATE OR REPLACE FUNCTION bench_session_user(token text) RETURNS uuid
LANGUAGE plpgsql STABLE AS $f$
BEGIN
  RETURN (SELECT s."userId" FROM sessions s
           WHERE s."tokenHash" = sha256(convert_to(token, 'UTF8')) AND s."expiresAt" > now());
END $f$;
CREATE OR REPLACE FUNCTION bench_lookup2(token text, bid uuid) RETURNS TABLE (uid uuid, id uuid, status text, step int, c bigint, u bigint, d bigint, r text, e text)
LANGUAGE plpgsql STABLE AS $f$
DECLARE who uuid := bench_session_user(token);
BEGIN
  RETURN QUERY SELECT who, b."id", b."status"::text, b."progressStep"::int,
               (extract(epoch FROM b."createdAt") * 1000)::bigint,
               (extract(epoch FROM b."updatedAt") * 1000)::bigint,
               (extract(epoch FROM b."completedAt") * 1000)::bigint,
               b."resultat", b."errorMessage"
          FROM (SELECT 1) one LEFT JOIN "orientation_bilans" b ON b."id" = bid AND b."userId" = who;
END $f$;
""")
    cols = '''b."id", b."status", b."progressStep",
               (extract(epoch FROM b."createdAt") * 1000)::bigint,
               (extract(epoch FROM b."updatedAt") * 1000)::bigint,
               (extract(epoch FROM b."completedAt") * 1000)::bigint,
               b."resultat", b."errorMessage"'''
    scripts = {
      "sub-select (before)": f'''SELECT u.uid, {cols} FROM (SELECT orientation_session_user(:tok) AS uid) u LEFT JOIN "orientation_bilans" b ON b."id" = :bid::uuid AND b."userId" = u.uid;''',
      "offset 0": f'''SELECT u.uid, {cols} FROM (SELECT orientation_session_user(:tok) AS uid OFFSET 0) u LEFT JOIN "orientation_bilans" b ON b."id" = :bid::uuid AND b."userId" = u.uid;''',
      "function in FROM (now)": f'''SELECT u.uid, {cols} FROM orientation_session_user(:tok) AS u(uid) LEFT JOIN "orientation_bilans" b ON b."id" = :bid::uuid AND b."userId" = u.uid;''',
      "cte materialized": f'''WITH u AS MATERIALIZED (SELECT orientation_session_user(:tok) AS uid) SELECT u.uid, {cols} FROM u LEFT JOIN "orientation_bilans" b ON b."id" = :bid::uuid AND b."userId" = u.uid;''',
      "user only": "SELECT orientation_session_user(:tok);",
      "plpgsql wrapper": "SELECT * FROM bench_lookup(:tok, :bid::uuid);",
      "plpgsql session fn": "SELECT bench_session_user(:tok);",
      "plpgsql wrapper+fn": "SELECT * FROM bench_lookup2(:tok, :bid::uuid);",
    }
    env = dict(os.environ, PGHOST=str(s.pg_socket_dir), PGUSER="postgres", PGDATABASE="bilan")
    for name, sql in scripts.items():
        f = root / "q.sql"; f.write_text(sql + "\n")
        # pgbench: variables substitute as parameters in extended/prepared mode
        res = {}
        for mode in ("extended", "prepared"):
            r = subprocess.run([str(PG_BIN/"pgbench"), "-n", "-M", mode, "-c", "1", "-T", sys.argv[1] if len(sys.argv) > 1 else "5", "-f", str(f), "-D", f"tok={tok}", "-D", f"bid={bid}"], env=env, capture_output=True, text=True)
            m = re.search(r"tps = ([\d.]+)", r.stdout)
            res[mode] = m.group(1) if m else r.stdout[-300:] + r.stderr[-300:]
        print(f"{name:24s} {res}", flush=True)
finally:
    s.stop()
    shutil.rmtree(root, ignore_errors=True)
