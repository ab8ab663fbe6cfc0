"""The benchmark of issue 6 (`make bench`): the status route against a C
libfcgi + libpq anchor, PHP-FPM + PDO and a static file, all behind one
nginx on this machine, contenders alternated round by round; then table
size, create latency, generator fixed cost, queue drain, CGI mode, handler
memory, process start times, and the report PDF (WeasyPrint time and memory). Writes bench/out/results.json and
bench/out/results.md (the tables docs/PERFORMANCE.md quotes).

Starts everything through scripts/devstack.py, the tests' launcher: the stack
(PostgreSQL, migrations, handlers under spawn-fcgi + multiwatch, nginx with the
shipped snippet, fake Gemini, SMTP sink) and the contenders (more handler
pools, fcgiwrap, PHP-FPM) behind the stack's nginx. results.md opens with the
footprint targets of SPEC §17, met or not in this run. Run from the repository
root as `python3 -m bench.bench` (`make bench`); Debian's /usr/bin/python3,
standard library only.

Knobs (environment): BENCH_ROUNDS (3), BENCH_SECONDS (10), BENCH_CONNECTIONS
(32), BENCH_WORKERS (4: processes per FastCGI contender), BENCH_ONLY (comma
list of figures: status,tuning,rows,create,generator,pdf,drain,cgi,memory,start,parcoursup),
BENCH_ROWS (1000,100000,1000000), BENCH_DRAIN_BILANS (1000), BENCH_DRAIN_LEVELS
(1,2,4,8), BENCH_HANDLER_REQUESTS (100000), BENCH_CREATES (100,200,400 for 1,4,16
users), BENCH_PARCOURSUP_ROWS (20000: rows of the generated Parcoursup export),
BENCH_KEEP=1 keeps the work folder.
"""
from __future__ import annotations

import http.client
import json
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from scripts.devstack import REPO, SAMPLE_REPORT, Stack, wait_for

HERE = Path(__file__).resolve().parent

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
ALL_FIGURES = ["status", "tuning", "rows", "cgi", "memory", "start", "create", "generator", "pdf", "drain", "parcoursup"]
ONLY = [f for f in os.environ.get("BENCH_ONLY", ",".join(ALL_FIGURES)).split(",") if f]
ROW_LEVELS = [int(x) for x in os.environ.get("BENCH_ROWS", "1000,100000,1000000").split(",")]
DRAIN_BILANS = int(os.environ.get("BENCH_DRAIN_BILANS", "1000"))
DRAIN_LEVELS = [int(x) for x in os.environ.get("BENCH_DRAIN_LEVELS", "1,2,4,8").split(",")]
HANDLER_REQUESTS = int(os.environ.get("BENCH_HANDLER_REQUESTS", "100000"))
CREATES = [int(x) for x in os.environ.get("BENCH_CREATES", "100,200,400").split(",")]
PARCOURSUP_ROWS = int(os.environ.get("BENCH_PARCOURSUP_ROWS", "20000"))
BIN = Path(os.environ.get("BILAN_BIN", REPO / ".build" / "release")).resolve()
OUT = Path(os.environ.get("BENCH_OUT", HERE / "out"))
ANCHOR = Path(os.environ.get("BENCH_ANCHOR", HERE / "out" / "status-anchor"))
STARTCOST = Path(os.environ.get("BENCH_STARTCOST", HERE / "out" / "startcost"))
PHP_FPM = shutil.which("php-fpm8.2") or "/usr/sbin/php-fpm8.2"
COOKIE = "bilan_session"

QUESTIONNAIRE = json.loads((HERE / "questionnaire.json").read_text())

results: dict = {"figures": {}}


def log(message: str):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def note_load(where: str):
    results.setdefault("load", []).append({"at": time.strftime("%H:%M:%S"), "where": where, "load": load()})


# ---- wrk -------------------------------------------------------------------------------
def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def wrk(url: str, *, seconds: int = SECONDS, connections: int = CONNECTIONS, headers: dict | None = None,
        method: str = "GET", body: str | None = None, workdir: Path) -> dict:
    script = workdir / f"wrk-{secrets.token_hex(4)}.lua"
    lines = [f'wrk.method = "{method}"']
    for name, value in (headers or {}).items():
        lines.append(f'wrk.headers["{name}"] = {json.dumps(value, ensure_ascii=False)}')
    if body is not None:
        lines.append(f"wrk.body = {json.dumps(body, ensure_ascii=False)}")
    script.write_text("\n".join(lines) + "\n")
    argv = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s", "-s", str(script), url]
    run = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    script.unlink()
    out = run.stdout + run.stderr
    if run.returncode != 0:
        raise RuntimeError(out)
    requests_done = int(re.search(r"(\d+) requests in", out).group(1))
    non = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": _ms(re.search(r"\s50%\s+([\d.]+\w+)", out).group(1)),
        "p99": _ms(re.search(r"\s99%\s+([\d.]+\w+)", out).group(1)),
        "requests": requests_done,
        "non2xx": int(non.group(1)) if non else 0,
        "socket_errors": sum(map(int, errors.groups())) if errors else 0,
    }


def summary(runs: list[dict]) -> dict:
    out = {"rounds": len(runs), "runs": runs}
    for key in ("rps", "p50", "p99"):
        values = [r[key] for r in runs]
        out[key] = statistics.median(values)
        out[key + "_min"] = min(values)
        out[key + "_max"] = max(values)
    for key in ("cpu_us_handler", "cpu_us_postgres", "cpu_us_nginx"):
        if all(key in r for r in runs):
            out[key] = statistics.median(r[key] for r in runs)
    out["non2xx"] = sum(r["non2xx"] for r in runs)
    out["socket_errors"] = sum(r["socket_errors"] for r in runs)
    return out


HZ = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError):
        return 0


def pids_named(*names: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if Path(f"/proc/{entry}/comm").read_text().strip() in names:
                    found.append(int(entry))
            except OSError:
                pass
    return found


def alternate(contenders: dict[str, tuple], workdir: Path, label: str, rounds: int = ROUNDS) -> dict:
    """Each round runs every contender once; the order rotates each round. A contender is
    (url, headers) or (url, headers, handler_pids_function): CPU time per request of the
    handler processes, of PostgreSQL and of nginx is then sampled from /proc around each run."""
    names = list(contenders)
    runs: dict[str, list] = {n: [] for n in names}
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            url, headers, *handler = contenders[name]
            groups = {"handler": handler[0]() if handler else [], "postgres": pids_named("postgres"),
                      "nginx": pids_named("nginx")}
            before = {g: sum(cpu_ticks(p) for p in pids) for g, pids in groups.items()}
            result = wrk(url, headers=headers, workdir=workdir)
            groups["postgres"] = sorted(set(groups["postgres"]) | set(pids_named("postgres")))
            for g, pids in groups.items():
                used = sum(cpu_ticks(p) for p in pids) - before[g]
                result[f"cpu_us_{g}"] = used / HZ * 1e6 / max(1, result["requests"])
            runs[name].append(result)
            log(f"{label} round {r + 1}/{rounds} {name}: {result['rps']:.0f} req/s p50 {result['p50']:.2f} ms "
                f"p99 {result['p99']:.2f} ms non-2xx {result['non2xx']} CPU µs/request handler "
                f"{result['cpu_us_handler']:.0f} postgres {result['cpu_us_postgres']:.0f} nginx "
                f"{result['cpu_us_nginx']:.0f} (load {load()})")
    note_load(label)
    return {n: summary(v) for n, v in runs.items()}


# ---- HTTP --------------------------------------------------------------------------------
def get(port: int, path: str, headers: dict | None = None, source: str | None = None) -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30,
                                            source_address=(source, 0) if source else None)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


# ---- the bench environment ------------------------------------------------------------------
class Bench:
    """The stack of every figure, started by scripts/devstack.py as the tests start theirs
    (PostgreSQL, migrations, the handlers under spawn-fcgi + multiwatch, nginx with the shipped
    snippet, fake Gemini, SMTP sink), plus the contenders of figure 1 on the same launcher: more
    FastCGI pools (the C anchor, bilan-status under other settings), an fcgiwrap for CGI mode, and
    PHP-FPM (bench-specific, spawned by the Stack). The stack's nginx serves them all, each under
    /bench/<name>/, beside the shipped routes."""

    def __init__(self, work: Path):
        self.work = work
        # WeasyPrint off for every figure but its own (8): figures 3-5 measure the
        # queue and the generator's own cost, which a second of PDF per bilan would hide.
        self.stack = Stack(work / "stack", bin_dir=BIN, workers=2, mail="smtp", gemini_latency_ms=0,
                           env={"LOG_LEVEL": "warning", "WEASYPRINT_PATH": "/nonexistent/weasyprint"},
                           access_log=False)
        self.static = self.stack.root / "nginx" / "static"
        self.stack.nginx_locations = self.locations()

    @property
    def port(self) -> int:
        return self.stack.port

    def pools(self) -> dict[str, tuple[Path, dict[str, str], int]]:
        """FastCGI contenders: name -> (program, settings added to the stack's, processes)."""
        # Prepared statements are the default on a direct connection (the bench's);
        # "swiftpooled" is the handler as configured behind a transaction pooler.
        pooled = {"DATABASE_PREPARED": "false"}
        return {"c": (ANCHOR, {}, WORKERS), "c1": (ANCHOR, {"ANCHOR_ONE_TRIP": "1"}, WORKERS),
                "swift": (BIN / "bilan-status", {}, WORKERS), "swiftpooled": (BIN / "bilan-status", pooled, WORKERS),
                "swift8": (BIN / "bilan-status", {}, 8)}

    def workers_of(self, name: str):
        return lambda: self.stack.worker_pids(name)

    def start(self):
        self.work.mkdir(parents=True, exist_ok=True)
        os.chmod(self.work, 0o755)  # the cluster runs as `postgres`, which must reach the stack's folder
        self.static.mkdir(parents=True, exist_ok=True)
        log("starting the stack (PostgreSQL, migrations, handlers, nginx, fake Gemini, SMTP sink)")
        self.stack.start()
        for name, (program, settings, workers) in self.pools().items():
            self.stack.start_handler(name, program, workers=workers, env={**self.stack.env, **settings})
        self.stack.start_fcgiwrap("cgi", children=WORKERS)
        self.start_php()

    def start_php(self):
        sock = self.stack.sockets / "php.sock"
        conf = self.work / "php-fpm.conf"
        conf.write_text(f"""[global]
pid = {self.work}/php-fpm.pid
error_log = {self.work}/php-fpm-error.log
daemonize = no

[bench]
listen = {sock}
listen.mode = 0666
pm = static
pm.max_children = {WORKERS}
pm.max_requests = 0
clear_env = yes
env[PDO_DSN] = "pgsql:host={self.stack.pg_socket_dir};dbname=bilan"
env[SESSION_COOKIE] = {COOKIE}
php_admin_value[error_log] = {self.work}/php-error.log
php_admin_flag[log_errors] = on
""")
        self.stack.spawn("php-fpm", [PHP_FPM, "-R", "-F", "-y", str(conf)], self.work / "php-fpm.log")
        wait_for(sock.exists, 10, "php-fpm's socket")

    def locations(self) -> str:
        """The contenders' nginx locations, added to the stack's server after the shipped snippet."""
        sockets = self.stack.sockets

        def fastcgi(name: str, extra: str = "") -> str:
            return f"""
        location ^~ /bench/{name}/ {{
            rewrite ^/bench/{name}(/.*)$ $1 break;{extra}
            include /etc/nginx/fastcgi_params;
            fastcgi_pass unix:{sockets / (name + '.sock')};
        }}"""
        blocks = [fastcgi(name) for name in self.pools()]
        blocks.append(fastcgi("php", f"\n            fastcgi_param SCRIPT_FILENAME {HERE / 'anchors' / 'status_anchor.php'};"))
        blocks.append(fastcgi("cgi", f"\n            fastcgi_param SCRIPT_FILENAME {BIN / 'bilan-status'};"))
        # The create handler without the shipped limit_req (for the 100k-request memory run only).
        blocks.append(fastcgi("create", "\n            client_max_body_size 64k;"))
        blocks.append(f"""
        location = /bench/static/bilan.json {{
            alias {self.static / 'bilan.json'};
            default_type "application/json; charset=utf-8";
            add_header Cache-Control no-store;
            add_header X-Content-Type-Options nosniff;
        }}""")
        return "".join(blocks)

    def stop(self):
        self.stack.kill_generators()
        self.stack.stop()  # the contenders too: every pool, fcgiwrap and PHP-FPM it started

    # -- data --
    def subscriber(self, email: str) -> tuple[str, str]:
        token = self.stack.subscriber(email)
        uid = self.stack.psql("SELECT id FROM users WHERE lower(email) = lower(:'v1')", email)
        return uid, token

    def insert_bilan(self, uid: str, status: str = "PENDING", step: int = 1, report: str | None = None) -> str:
        return self.stack.psql(
            """INSERT INTO "orientation_bilans" ("userId", "questionnaire", "status", "progressStep", "resultat",
                   "completedAt", "createdAt", "updatedAt")
               VALUES (:'v1'::uuid, '{}'::jsonb, :'v2'::"BilanStatus", :'v3'::int, nullif(:'v4', ''),
                       CASE WHEN :'v2' = 'COMPLETED' THEN now() END, now(), now())
               RETURNING "id" """, uid, status, str(step), report or "")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def memory_kib(pid: int) -> dict:
    """RSS, PSS and private (dirty + clean) memory of a process, from smaps_rollup."""
    values = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, rest = line.partition(":")
        values[name] = int(rest.split()[0])
    return {"rss": values.get("Rss", 0), "pss": values.get("Pss", 0),
            "private": values.get("Private_Clean", 0) + values.get("Private_Dirty", 0),
            "anonymous": values.get("Anonymous", 0)}


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


# ---- figures ------------------------------------------------------------------------------------
def figure_status(b: Bench):
    """1. The status route vs the anchors; bodies checked identical first."""
    uid, token = b.subscriber("bench-status@example.org")
    bilan = b.insert_bilan(uid, "PENDING", 1)
    cookie = {"Cookie": f"{COOKIE}={token}"}
    path = f"/api/orientation/bilan/{bilan}"
    urls = {"swift (shipped, 2 workers)": path, "swift": f"/bench/swift{path}", "c": f"/bench/c{path}",
            "php": f"/bench/php{path}"}
    bodies = {}
    for name, url in urls.items():
        status, headers, body = get(b.port, url, cookie)
        assert status == 200, (name, status, body)
        bodies[name] = (body, headers.get("etag"), headers.get("retry-after"))
        # 304 on If-None-Match, 404 on a foreign/unknown id, 401 without a cookie.
        assert get(b.port, url, {**cookie, "If-None-Match": headers["etag"]})[0] == 304, name
        assert get(b.port, url.replace(bilan, "00000000-0000-4000-8000-000000000000"), cookie)[0] == 404, name
        assert get(b.port, url)[0] == 401, name
    reference = bodies["swift (shipped, 2 workers)"]
    for name, value in bodies.items():
        assert value == reference, f"{name} answers differently: {value} vs {reference}"
    # COMPLETED and FAILED answers too, with every character the writers escape.
    nasty = (SAMPLE_REPORT + '\n\n## Titre <b>&"cité"\\ ##\n\ttab\u2028ligne\u2029fin \x01\x1f\x08\x0c\r \n'
             '```\n## pas un titre\n```\n  ##   Dernier   #\n')
    for state, step, report, message in (("COMPLETED", 3, nasty, None), ("FAILED", 2, None, 'Échec <b> & "x"\n\x02'),
                                         ("FAILED", 1, None, None)):
        other = b.stack.psql(
            """INSERT INTO "orientation_bilans" ("userId", "questionnaire", "status", "progressStep", "resultat",
                   "errorMessage", "completedAt")
               VALUES (:'v1'::uuid, '{}'::jsonb, :'v2'::"BilanStatus", :'v3'::int, nullif(:'v4', ''),
                       nullif(:'v5', ''), CASE WHEN :'v2' = 'COMPLETED' THEN now() END)
               RETURNING "id" """, uid, state, str(step), report or "", message or "")
        seen = {}
        for name, url in urls.items():
            status, headers, body = get(b.port, url.replace(bilan, other), cookie)
            seen[name] = (status, body, headers.get("etag"), headers.get("retry-after"))
        first = seen["swift (shipped, 2 workers)"]
        assert first[0] == 200, first
        for name, value in seen.items():
            assert value == first, f"{state}: {name} answers differently:\n{value}\n{first}"
        b.stack.psql("""DELETE FROM "orientation_bilans" WHERE "id" = :'v1'::uuid""", other)
    log("COMPLETED and FAILED answers (escaping, sections) identical across contenders too")
    (b.static / "bilan.json").write_bytes(reference[0])
    log(f"all contenders answer the same {len(reference[0])} bytes, ETag {reference[1]}")
    b.status_fixture = (uid, token, bilan)
    contenders = {
        "static": (f"http://127.0.0.1:{b.port}/bench/static/bilan.json", cookie),
        "swift": (f"http://127.0.0.1:{b.port}/bench/swift{path}", cookie, b.workers_of("swift")),
        "swift, DATABASE_PREPARED=false (pooler)": (f"http://127.0.0.1:{b.port}/bench/swiftpooled{path}", cookie,
                                                    b.workers_of("swiftpooled")),
        "c": (f"http://127.0.0.1:{b.port}/bench/c{path}", cookie, b.workers_of("c")),
        "php": (f"http://127.0.0.1:{b.port}/bench/php{path}", cookie, lambda: pids_named("php-fpm8.2")),
    }
    figures = alternate(contenders, b.work, "status")
    results["figures"]["status"] = {"body_bytes": len(reference[0]), "workers": WORKERS, "contenders": figures}


def figure_tuning(b: Bench):
    """Before/after of the knobs: workers 2 vs W vs 8, C with one round trip."""
    uid, token, bilan = b.status_fixture
    cookie = {"Cookie": f"{COOKIE}={token}"}
    path = f"/api/orientation/bilan/{bilan}"
    contenders = {
        "swift 2 workers (devstack default)": (f"http://127.0.0.1:{b.port}{path}", cookie,
                                               lambda: b.stack.worker_pids("status")),
        f"swift {WORKERS} workers": (f"http://127.0.0.1:{b.port}/bench/swift{path}", cookie, b.workers_of("swift")),
        "swift 8 workers": (f"http://127.0.0.1:{b.port}/bench/swift8{path}", cookie, b.workers_of("swift8")),
        f"c {WORKERS} workers, 2 round trips": (f"http://127.0.0.1:{b.port}/bench/c{path}", cookie, b.workers_of("c")),
        f"c {WORKERS} workers, 1 round trip": (f"http://127.0.0.1:{b.port}/bench/c1{path}", cookie, b.workers_of("c1")),
    }
    results["figures"]["tuning"] = alternate(contenders, b.work, "tuning")


def figure_rows(b: Bench):
    """2. Swift and C at 1k, 100k, 1M rows in orientation_bilans (alternated at each size)."""
    uid, token, bilan = b.status_fixture
    cookie = {"Cookie": f"{COOKIE}={token}"}
    path = f"/api/orientation/bilan/{bilan}"
    # Filler owners: 1,000 users, bilans spread over them and over two years.
    b.stack.psql("""INSERT INTO users ("email") SELECT 'filler-' || g || '@example.org'
                     FROM generate_series(1, 1000) g ON CONFLICT DO NOTHING""")
    out = {}
    for level in sorted(ROW_LEVELS):
        have = int(b.stack.psql('SELECT count(*) FROM "orientation_bilans"'))
        if have < level:
            started = time.monotonic()
            b.stack.psql(f"""
                INSERT INTO "orientation_bilans" ("userId", "questionnaire", "status", "progressStep", "resultat",
                       "completedAt", "createdAt", "updatedAt")
                SELECT f.ids[g % 1000 + 1], '{{"niveau":"TERMINALE"}}'::jsonb, 'COMPLETED', 3, 'rapport ' || g,
                       now() - (g % 700) * interval '1 day', now() - (g % 700) * interval '1 day', now()
                  FROM generate_series(1, {level - have}) g,
                       (SELECT array_agg("id") AS ids FROM users WHERE "email" LIKE 'filler-%') f;
                ANALYZE "orientation_bilans";""")
            log(f"rows: {level - have} bilans inserted in {time.monotonic() - started:.0f} s")
        rows = int(b.stack.psql('SELECT count(*) FROM "orientation_bilans"'))
        contenders = {"swift": (f"http://127.0.0.1:{b.port}/bench/swift{path}", cookie, b.workers_of("swift")),
                      "c": (f"http://127.0.0.1:{b.port}/bench/c{path}", cookie, b.workers_of("c"))}
        figures = alternate(contenders, b.work, f"rows={rows}")
        out[str(rows)] = figures
    results["figures"]["rows"] = out


def figure_create(b: Bench):
    """3. POST /api/orientation/create at 1, 4, 16 concurrent users, the detached spawn included.
    Each user creates once (one bilan a year), from its own loopback address (nginx's per-address
    limit stays as shipped). Spawned generators are real; Gemini answers after 5 s so they sit
    in their slots as in production (a Gemini pass takes seconds) instead of burning CPU."""
    b.stack.gemini("POST", "/_control/latency", {"ms": 5000})
    body = json.dumps(QUESTIONNAIRE)
    out = {}
    serial = [0]
    for users, total in zip((1, 4, 16), CREATES):
        people = b.stack.bulk_subscribers(total, "create")
        latencies: list[float] = []
        codes: dict[int, int] = {}
        lock = threading.Lock()
        queue = list(people)

        def worker():
            while True:
                with lock:
                    if not queue:
                        return
                    email, token = queue.pop()
                    serial[0] += 1
                    n = serial[0]
                source = f"127.79.{n // 250 % 256}.{n % 250 + 1}"
                connection = http.client.HTTPConnection("127.0.0.1", b.stack.port, timeout=30,
                                                        source_address=(source, 0))
                started = time.perf_counter()
                connection.request("POST", "/api/orientation/create", body=body, headers={
                    "Content-Type": "application/json", "Origin": b.stack.base_url,
                    "Cookie": f"{COOKIE}={token}"})
                response = connection.getresponse()
                response.read()
                elapsed = time.perf_counter() - started
                connection.close()
                with lock:
                    latencies.append(elapsed * 1000)
                    codes[response.status] = codes.get(response.status, 0) + 1

        started = time.monotonic()
        threads = [threading.Thread(target=worker) for _ in range(users)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - started
        out[str(users)] = {"creates": total, "codes": codes, "p50": pct(latencies, 0.5), "p99": pct(latencies, 0.99),
                           "max": max(latencies), "per_s": total / wall, "load": load()}
        log(f"create {users} users: {out[str(users)]}")
        # The spawned generators wait on the slow Gemini: stop them (a spawn may land just after its
        # answer, hence twice), close the bilans.
        b.stack.kill_generators()
        time.sleep(1)
        b.stack.kill_generators()
        b.stack.psql("""UPDATE "orientation_bilans" SET "status" = 'FAILED', "errorMessage" = 'bench'
                         WHERE "status" = 'PENDING' AND "userId" IN (SELECT id FROM users WHERE email LIKE 'create-%')""")
    b.stack.gemini("POST", "/_control/latency", {"ms": 0})
    note_load("create")
    results["figures"]["create"] = out


def generator_env(b: Bench, **extra) -> dict:
    env = dict(b.stack.env)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def figure_generator(b: Bench, runs: int = 10):
    """4. spawn -> COMPLETED + mail accepted by the SMTP sink, Gemini answering at once:
    `bilan-generator run <id>` under GNU time, one queued bilan at a time."""
    b.stack.gemini("POST", "/_control/latency", {"ms": 0})
    samples = []
    for n in range(runs + 1):
        uid, _ = b.subscriber(f"gen-{secrets.token_hex(4)}@example.org")
        bilan = b.stack.psql("""INSERT INTO "orientation_bilans" ("userId", "questionnaire")
                                VALUES (:'v1'::uuid, :'v2'::jsonb) RETURNING "id" """, uid, json.dumps(QUESTIONNAIRE))
        mails_before = len(list(b.stack.mail_dir.glob("*")))
        started = time.perf_counter()
        child = subprocess.Popen([str(BIN / "bilan-generator"), "run", bilan], env=generator_env(b),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(child.pid, 0)
        wall = (time.perf_counter() - started) * 1000
        child.returncode = os.waitstatus_to_exitcode(status)
        stderr = child.stderr.read().decode(errors="replace")
        child.stderr.close()
        state = b.stack.psql("""SELECT "status" || ' ' || ("emailSentAt" IS NOT NULL) FROM "orientation_bilans"
                                 WHERE "id" = :'v1'::uuid""", bilan)
        mails = len(list(b.stack.mail_dir.glob("*"))) - mails_before
        assert child.returncode == 0 and state == "COMPLETED true", (child.returncode, state, stderr[-500:])
        if n == 0:
            continue  # the first run warms the page cache
        samples.append({"wall_ms": wall, "cpu_ms": (usage.ru_utime + usage.ru_stime) * 1000,
                        "rss_kib": usage.ru_maxrss, "mails": mails})
    out = {"runs": runs}
    for key in ("wall_ms", "cpu_ms", "rss_kib"):
        values = [s[key] for s in samples]
        out[key] = statistics.median(values)
        out[key + "_min"] = min(values)
        out[key + "_max"] = max(values)
    out["mail_files"] = sum(s["mails"] for s in samples)
    log(f"generator fixed cost: {out}")
    note_load("generator")
    results["figures"]["generator"] = out


def figure_pdf(b: Bench, runs: int = 5):
    """8. The report PDF (SPEC §14): one bilan per sample questionnaire generated with the zero-latency
    Gemini, then the longest report (Markdown characters) rendered `runs` times, after a warm-up, by
    `bilan-admin render-pdf` (the print template and the real WeasyPrint; its wall time, and the CPU
    time and peak RSS of the WeasyPrint process, from wait4)."""
    env = generator_env(b, WEASYPRINT_PATH=shutil.which("weasyprint") or "/usr/bin/weasyprint")
    made = {}
    for path in sorted((REPO / "fixtures" / "questionnaires" / "samples").glob("*.json")):
        uid, _ = b.subscriber(f"pdf-{secrets.token_hex(4)}@example.org")
        bilan = b.stack.psql("""INSERT INTO "orientation_bilans" ("userId", "questionnaire")
                                VALUES (:'v1'::uuid, :'v2'::jsonb) RETURNING "id" """, uid, path.read_text())
        run = subprocess.run([str(BIN / "bilan-generator"), "run", bilan], env=env, capture_output=True, timeout=300)
        assert run.returncode == 0, run.stderr[-500:]
        made[path.stem] = bilan
    lengths = {name: int(b.stack.psql("""SELECT length("resultat") FROM "orientation_bilans"
                                          WHERE "id" = :'v1'::uuid AND "status" = 'COMPLETED'""", bilan) or 0)
               for name, bilan in made.items()}
    longest = max(lengths, key=lengths.get)
    pdf = b.work / "bench-report.pdf"
    samples = []
    for n in range(runs + 1):
        run = subprocess.run([str(BIN / "bilan-admin"), "render-pdf", made[longest], "--output", str(pdf), "--json"],
                             env=env, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr[-500:]
        if n:  # the first run warms the page cache and fontconfig's
            samples.append(json.loads(run.stdout))
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    pages = re.search(r"^Pages:\s+(\d+)", info, re.M)
    out = {"sample": longest, "report_chars": lengths[longest], "pages": int(pages.group(1)) if pages else None,
           "pdf_bytes": samples[-1]["bytes"], "runs": runs}
    for key, values in (("ms", [s["ms"] for s in samples]), ("cpu_ms", [s["cpuMs"] for s in samples]),
                        ("peak_rss_kib", [s["peakRssKiB"] for s in samples])):
        out[key], out[key + "_min"], out[key + "_max"] = statistics.median(values), min(values), max(values)
    log(f"pdf: {out}")
    note_load("pdf")
    results["figures"]["pdf"] = out


def figure_drain(b: Bench):
    """5. DRAIN_BILANS queued bilans, MAX_GENERATORS generators started at once, 50 ms Gemini."""
    b.stack.gemini("POST", "/_control/latency", {"ms": 50})
    out = {}
    for level in DRAIN_LEVELS:
        # No other generator of this stack may hold a slot or help draining.
        b.stack.kill_generators()
        wait_for(lambda: not b.stack.generator_pids(), 10, "no generator left")
        b.stack.psql("""UPDATE "orientation_bilans" SET "status" = 'FAILED' WHERE "status" = 'PENDING'""")
        tag = secrets.token_hex(3)
        b.stack.psql(f"""
            WITH made AS (INSERT INTO users ("email") SELECT 'drain-{tag}-' || g || '@example.org'
                          FROM generate_series(1, {DRAIN_BILANS}) g RETURNING "id")
            INSERT INTO "orientation_bilans" ("userId", "questionnaire", "createdAt", "updatedAt")
            SELECT "id", :'v1'::jsonb, now(), now() FROM made""", json.dumps(QUESTIONNAIRE))
        ids = b.stack.psql(f"""SELECT "id" FROM "orientation_bilans" WHERE "status" = 'PENDING'
                               ORDER BY "createdAt" LIMIT {level}""").split()
        env = generator_env(b, MAX_GENERATORS=level, MAIL_TRANSPORT="file", MAIL_DIR=b.work / f"drain-mail-{level}",
                            SMTP_URL="")
        env.pop("SMTP_URL")
        (b.work / f"drain-mail-{level}").mkdir()
        started = time.monotonic()
        env["GENERATOR_LOG"] = str(b.work / f"drain-{level}.log")
        procs = [subprocess.Popen([str(BIN / "bilan-generator"), "run", i], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL) for i in ids]
        peak = [0]
        deadline = started + max(60, min(900, DRAIN_BILANS * 0.15 / level * 3))
        pending = DRAIN_BILANS
        while time.monotonic() < deadline:
            pending = int(b.stack.psql("""SELECT count(*) FROM "orientation_bilans" WHERE "status" = 'PENDING'"""))
            peak[0] = max(peak[0], sum(p.poll() is None for p in procs))
            if pending == 0 or all(p.poll() is not None for p in procs):
                break
            time.sleep(0.2)
        elapsed = time.monotonic() - started
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        pending = int(b.stack.psql("""SELECT count(*) FROM "orientation_bilans" WHERE "status" = 'PENDING'"""))
        done = DRAIN_BILANS - pending
        completed = int(b.stack.psql(f"""SELECT count(*) FROM "orientation_bilans" b JOIN users u ON u.id = b."userId"
                                         WHERE u.email LIKE 'drain-{tag}-%' AND b."status" = 'COMPLETED'"""))
        ideal = level / (3 * 0.050)
        rate = done / elapsed
        out[str(level)] = {"bilans": DRAIN_BILANS, "completed": completed, "left_pending": pending,
                           "seconds": elapsed, "per_s": rate, "ideal_per_s": ideal, "ratio": rate / ideal,
                           "mails": len(list((b.work / f"drain-mail-{level}").glob("*"))), "load": load(),
                           "exit_codes": sorted({p.returncode for p in procs}), "peak_running": peak[0]}
        log(f"drain MAX_GENERATORS={level}: {out[str(level)]}")
        if pending:
            b.stack.psql("""UPDATE "orientation_bilans" SET "status" = 'FAILED' WHERE "status" = 'PENDING'""")
    b.stack.gemini("POST", "/_control/latency", {"ms": 0})
    note_load("drain")
    results["figures"]["drain"] = out


def figure_cgi(b: Bench, requests: int = 100):
    """6. One status request at a time: FastCGI (long-lived, connected) vs fcgiwrap (a process and a
    PostgreSQL connection per request); plus what a bare libpq connection costs here."""
    uid, token, bilan = b.status_fixture
    cookie = {"Cookie": f"{COOKIE}={token}"}
    path = f"/api/orientation/bilan/{bilan}"
    out = {}
    samples = {"fastcgi": [], "cgi": []}
    for n in range(requests + 5):
        for name, url in (("fastcgi", f"/bench/swift{path}"), ("cgi", f"/bench/cgi{path}")):
            started = time.perf_counter()
            status, _, _ = get(b.port, url, cookie)
            elapsed = (time.perf_counter() - started) * 1000
            assert status == 200, (name, status)
            if n >= 5:
                samples[name].append(elapsed)
    for name, values in samples.items():
        out[name] = {"p50": pct(values, 0.5), "p99": pct(values, 0.99), "requests": len(values)}
    # A bare PQconnectdb + PQfinish over the Unix socket, from C (startcost's connect mode).
    run = subprocess.run([str(STARTCOST), "--connect", "100", b.stack.env["DATABASE_URL"]], capture_output=True,
                         text=True, check=True)
    out["pg_connect_ms"] = json.loads(run.stdout)
    # CGI-mode wrk throughput, for scale.
    out["wrk_cgi"] = wrk(f"http://127.0.0.1:{b.port}/bench/cgi{path}", headers=cookie, workdir=b.work,
                         seconds=max(3, SECONDS // 2))
    log(f"cgi: {out}")
    note_load("cgi")
    results["figures"]["cgi"] = out


def figure_memory(b: Bench):
    """7a. RSS of every handler worker of the stack before and after HANDLER_REQUESTS requests."""
    uid, token, bilan = b.status_fixture
    done_bilan = b.insert_bilan(uid, "COMPLETED", 3, SAMPLE_REPORT)
    cookie = f"{COOKIE}={token}"
    routes = {
        "status": ("GET", f"/api/orientation/bilan/{done_bilan}", {"Cookie": cookie}, None),
        "page": ("GET", f"/orientation/resultat/{done_bilan}", {"Cookie": cookie}, None),
        "eligibility": ("GET", "/api/orientation/eligibility", {"Cookie": cookie}, None),
        "auth": ("GET", "/auth/callback?token=" + "ab" * 32, {}, None),
        # 403 not_eligible (this user has a bilan): the whole create path short of the insert.
        "create": ("POST", "/bench/create/api/orientation/create",
                   {"Cookie": cookie, "Content-Type": "application/json", "Origin": b.stack.base_url},
                   json.dumps(QUESTIONNAIRE)),
    }
    out = {}
    for handler, (method, path, headers, body) in routes.items():
        url = f"http://127.0.0.1:{b.port}{path}"
        warm = wrk(url, method=method, headers=headers, body=body, workdir=b.work, seconds=3)
        pids = b.stack.worker_pids(handler)
        before = {p: rss_kib(p) for p in pids}
        total, statuses = 0, 0
        runs = []
        while total < HANDLER_REQUESTS:
            rate = (runs[-1]["rps"] if runs else warm["rps"]) or 100
            seconds = max(2, min(30, int((HANDLER_REQUESTS - total) / rate) + 1))
            result = wrk(url, method=method, headers=headers, body=body, workdir=b.work, seconds=seconds)
            runs.append(result)
            total += result["requests"]
            statuses += result["non2xx"]
        after = {p: rss_kib(p) for p in b.stack.worker_pids(handler)}
        detail = {p: memory_kib(p) for p in b.stack.worker_pids(handler)}
        out[handler] = {"requests": total, "non_2xx_3xx": statuses, "rss_kib_before": before, "rss_kib_after": after,
                        "same_pids": sorted(after) == sorted(before), "rps": statistics.median(r["rps"] for r in runs),
                        "after_detail_kib": detail}
        log(f"memory {handler}: {total} requests, RSS before {before} after {after}")
    # The anchors after figure 1's runs, for scale.
    for name in ("c", "swift"):
        out[f"bench {name} workers"] = {p: memory_kib(p) for p in b.stack.worker_pids(name)}
    out["php-fpm workers"] = {p: memory_kib(p) for p in pids_named("php-fpm8.2")}
    note_load("memory")
    results["figures"]["memory"] = out


def figure_start(b: Bench, runs: int = 200):
    """7b. exec -> exit of each executable, with no DATABASE_URL (each stops at the configuration check
    after loading its libraries and the Swift runtime): start-up cost without the database."""
    env = {"PATH": "/usr/bin:/bin"}
    programs = {name: [str(BIN / name)] for name in
                ("bilan-eligibility", "bilan-create", "bilan-status", "bilan-page", "bilan-auth")}
    programs["bilan-generator"] = [str(BIN / "bilan-generator"), "run", "00000000-0000-4000-8000-000000000000"]
    programs["bilan-admin"] = [str(BIN / "bilan-admin"), "list"]
    programs["C anchor (libfcgi+libpq)"] = [str(ANCHOR)]
    programs["/bin/true"] = ["/bin/true"]
    out = {}
    for name, argv in programs.items():
        run = subprocess.run([str(STARTCOST), str(runs), *argv], capture_output=True, text=True, env=env)
        figures = json.loads(run.stdout)
        ldd = subprocess.run(["ldd", argv[0]], capture_output=True, text=True).stdout
        figures["foundation"] = ("libFoundation.so" in ldd and "full Foundation") or (
            "libFoundationEssentials" in ldd and "FoundationEssentials") or "no Foundation"
        figures["swift_runtime"] = "shared" if "libswiftCore.so" in ldd else "static or none"
        figures["libraries"] = len([l for l in ldd.splitlines() if "=>" in l])
        out[name] = figures
        log(f"start {name}: {figures}")
    results["figures"]["start"] = out


# ---- report -----------------------------------------------------------------------------------------
# The selection of SPEC §13 for three questionnaires: a région, an académie, the
# whole country for the largest family (the worst case).
PARCOURSUP_CASES = {
    "région Bretagne, BUT + CPGE": ("{BUT,DUT,CPGE}", '{"","",""}', "'{22,29,35,56}'", "'35'", "14.5"),
    "académie de Versailles, BTS": ("{BTS}", '{""}', "'{78,91,92,95}'", "'92'", "11"),
    "toute la France, licences": ("{Licence,Licence_Las}", '{"",""}', "NULL", "NULL", "16"),
}


def figure_parcoursup(b: Bench, repeats: int = 50):
    """8. SPEC §13: `bilan-admin import-parcoursup` of a generated export of PARCOURSUP_ROWS rows
    (the fixture generator's, all 118 columns; target under 15 s), the same file again (the
    idempotent replace), then parcoursup_selection() with that session loaded (target under 20 ms):
    planning + execution as EXPLAIN ANALYZE reports them, and as a client sees them (psql \\timing)."""
    from fixtures.parcoursup import generate  # the fixtures' own generator
    path = b.work / f"parcoursup-{PARCOURSUP_ROWS}.csv"
    generate.write(path, generate.TECHNICAL_HEADER, generate.technical(generate.catalogue(2025, PARCOURSUP_ROWS)))
    out = {"rows": PARCOURSUP_ROWS, "bytes": path.stat().st_size, "imports": []}
    for label in ("first import", "same file again"):
        started = time.perf_counter()
        result = subprocess.run([str(BIN / "bilan-admin"), "import-parcoursup", str(path), "--json"],
                                env=b.stack.env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        assert result.returncode == 0, result.stderr[-1000:]
        summary = json.loads(result.stdout)
        out["imports"].append({"what": label, "seconds": seconds, "loaded": summary["loaded"],
                               "added": summary["added"], "unchanged": summary["unchanged"]})
        log(f"parcoursup {label}: {seconds:.2f} s, {summary['loaded']} rows")
    out["selection"] = {}
    for name, (families, kinds, deps, home, average) in PARCOURSUP_CASES.items():
        call = f"parcoursup_selection('{families}', '{kinds}', {deps}, {home}, {average})"
        plans = b.stack.psql(";\n".join([f"EXPLAIN (ANALYZE, FORMAT JSON) SELECT * FROM {call}"] * repeats) + ";")
        decoder, server, index = json.JSONDecoder(), [], 0
        while index < len(plans):
            plan, index = decoder.raw_decode(plans, index)
            server.append(plan[0]["Planning Time"] + plan[0]["Execution Time"])
            while index < len(plans) and plans[index].isspace():
                index += 1
        timed = b.stack.psql("\\timing on\n" + "\n".join([f"SELECT count(*) FROM {call};"] * repeats))
        client = [float(ms) for ms in re.findall(r"Time: ([\d.]+) ms", timed)]
        rows = int(b.stack.psql(f"SELECT count(*) FROM {call}"))
        out["selection"][name] = {"rows": rows, "server_ms_p50": statistics.median(server), "server_ms_max": max(server),
                                  "client_ms_p50": statistics.median(client), "client_ms_max": max(client)}
        log(f"parcoursup selection {name}: {out['selection'][name]}")
    regional = PARCOURSUP_CASES["région Bretagne, BUT + CPGE"]
    out["explain"] = b.stack.psql(
        f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT * FROM parcoursup_selection('{regional[0]}', '{regional[1]}', "
        f"{regional[2]}, {regional[3]}, {regional[4]})")
    note_load("parcoursup")
    results["figures"]["parcoursup"] = out


def fmt_range(s: dict, key: str, digits: int = 0) -> str:
    f = f"{{:.{digits}f}}"
    return f"{f.format(s[key])} ({f.format(s[key + '_min'])}–{f.format(s[key + '_max'])})"


def wrk_table(figures: dict, reference: str | None = None) -> list[str]:
    lines = ["| contender | req/s median (min–max) | p50 ms | p99 ms | non-2xx | req/s ratio to " + (reference or "-")
             + " | CPU µs/request: handler / PostgreSQL / nginx |",
             "|---|---|---|---|---|---|---|"]
    for name, s in figures.items():
        ratio = f"{s['rps'] / figures[reference]['rps']:.2f}×" if reference in figures else "-"
        cpu = " / ".join(f"{s.get(k, 0):.0f}" for k in ("cpu_us_handler", "cpu_us_postgres", "cpu_us_nginx"))
        lines.append(f"| {name} | {fmt_range(s, 'rps')} | {fmt_range(s, 'p50', 2)} | {fmt_range(s, 'p99', 2)} | "
                     f"{s['non2xx']} | {ratio} | {cpu} |")
    return lines


def table(title: str, columns: list[str], rows: list[list]) -> list[str]:
    """A Markdown table under its heading, then a blank line."""
    return ([title, "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
            + ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows] + [""])


HANDLERS = ("bilan-eligibility", "bilan-create", "bilan-status", "bilan-page", "bilan-auth")


def targets() -> list[dict]:
    """The footprint targets of SPEC §17 and the status-route ratios (issue 12), each with the
    value this run measured (None when its figure did not run or failed) and whether it is met."""
    f = results["figures"]
    rows = []

    def target(name: str, figure: str, limit: float, at_most: bool, unit: str, measure):
        try:
            value, detail = measure(f[figure])
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            value, detail = None, "not measured"
        met = None if value is None else (value <= limit if at_most else value >= limit)
        rows.append({"target": name, "figure": figure, "value": value, "unit": unit, "detail": detail,
                     "limit": limit, "at_most": at_most, "met": met})

    def start(s):
        slowest = max(HANDLERS, key=lambda h: s[h]["median_ms"])
        return s[slowest]["median_ms"], (f"slowest median, {slowest}; C anchor "
                                         f"{s['C anchor (libfcgi+libpq)']['median_ms']:.2f} ms")

    def rss(s):
        per_handler = {h: max(s[h.removeprefix("bilan-")]["rss_kib_after"].values()) for h in HANDLERS}
        largest = max(per_handler, key=per_handler.get)
        return per_handler[largest] / 1024, f"largest worker after the requests, {largest}"

    def ratio(other: str):
        def measure(s):
            c = s["contenders"]
            return c["swift"]["rps"] / c[other]["rps"], (f"default settings, {c['swift']['rps']:.0f} vs "
                                                         f"{c[other]['rps']:.0f} req/s")
        return measure

    target("handler process start", "start", 10, True, "ms", start)
    target("handler RSS", "memory", 12, True, "MiB", rss)
    target("generator fixed cost (wall)", "generator", 50, True, "ms",
           lambda s: (s["wall_ms"], f"median of {s['runs']} runs"))
    target("status route vs C anchor (req/s)", "status", 1.0, False, "×", ratio("c"))
    target("status route vs PHP-FPM (req/s)", "status", 2.5, False, "×", ratio("php"))
    return rows


def targets_table(rows: list[dict]) -> list[str]:
    def cell(row):
        if row["value"] is None:
            return "–"
        return f"{row['value']:.2f}×" if row["unit"] == "×" else f"{row['value']:.1f} {row['unit']}"

    return table("### Targets (SPEC §17, issue 12), measured in this run",
                 ["what", "measured", "target", "met", "how", "figure"],
                 [[r["target"], cell(r), f"{'≤' if r['at_most'] else '≥'} "
                   + (f"{r['limit']:.1f}×" if r["unit"] == "×" else f"{r['limit']:g} {r['unit']}"),
                   {True: "yes", False: "**no**", None: "–"}[r["met"]], r["detail"], r["figure"]] for r in rows])


def report() -> str:
    f = results["figures"]
    md = [f"Run {results['started']} → {results['finished']} on {results['machine']}; "
          f"`{results['command']}`; rounds {ROUNDS} × wrk -t2 -c{CONNECTIONS} -d{SECONDS}s; "
          f"{WORKERS} processes per FastCGI contender.", ""]
    md += targets_table(results["targets"])
    if "status" in f:
        md += [f"### 1. Status route vs anchors ({f['status']['body_bytes']}-byte PENDING answer)", ""]
        md += wrk_table(f["status"]["contenders"], "c")
        s = f["status"]["contenders"]
        p = s["swift, DATABASE_PREPARED=false (pooler)"]
        md += ["", f"swift / c = {s['swift']['rps'] / s['c']['rps']:.2f}×, swift / php = "
               f"{s['swift']['rps'] / s['php']['rps']:.2f}×, swift / static = {s['swift']['rps'] / s['static']['rps']:.2f}×; "
               f"behind a pooler: swift / c = {p['rps'] / s['c']['rps']:.2f}×, swift / php = {p['rps'] / s['php']['rps']:.2f}×", ""]
    if "tuning" in f:
        md += ["### Tuning (same run, alternated)", ""] + wrk_table(f["tuning"], f"c {WORKERS} workers, 2 round trips") + [""]
    if "rows" in f:
        md += table("### 2. Table size", ["rows", "swift req/s", "swift p99 ms", "c req/s", "c p99 ms", "swift/c"], [
            [f"{int(rows):,}", fmt_range(s["swift"], "rps"), fmt_range(s["swift"], "p99", 2), fmt_range(s["c"], "rps"),
             fmt_range(s["c"], "p99", 2), f"{s['swift']['rps'] / s['c']['rps']:.2f}×"] for rows, s in f["rows"].items()])
    if "create" in f:
        md += table("### 3. Create (spawn of the detached generator included)",
                    ["concurrent users", "creates", "answers", "p50 ms", "p99 ms", "max ms", "creates/s", "load"], [
                        [users, s["creates"], s["codes"], f"{s['p50']:.1f}", f"{s['p99']:.1f}", f"{s['max']:.1f}",
                         f"{s['per_s']:.1f}", s["load"]] for users, s in f["create"].items()])
    if "generator" in f:
        s = f["generator"]
        md += table("### 4. Generator fixed cost (zero-latency Gemini, SMTP sink)",
                    ["runs", "wall ms", "CPU ms (user+sys)", "peak RSS KiB"],
                    [[s["runs"], fmt_range(s, "wall_ms", 1), fmt_range(s, "cpu_ms", 1), fmt_range(s, "rss_kib")]])
    if "pdf" in f:
        s = f["pdf"]
        md += table("### 9. Report PDF (WeasyPrint, longest sample report, `bilan-admin render-pdf`)",
                    ["sample", "report chars", "pages", "PDF KiB", "runs", "wall ms", "WeasyPrint CPU ms",
                     "WeasyPrint peak RSS MiB"],
                    [[s["sample"], s["report_chars"], s["pages"], f"{s['pdf_bytes'] / 1024:.0f}", s["runs"],
                      fmt_range(s, "ms"), fmt_range(s, "cpu_ms"), f"{s['peak_rss_kib'] / 1024:.0f} "
                      f"({s['peak_rss_kib_min'] / 1024:.0f}–{s['peak_rss_kib_max'] / 1024:.0f})"]])
    if "drain" in f:
        md += table("### 5. Queue drain (50 ms Gemini)",
                    ["MAX_GENERATORS", "bilans", "completed", "seconds", "bilans/s", "ideal", "ratio", "load"], [
                        [level, s["bilans"], s["completed"], f"{s['seconds']:.1f}", f"{s['per_s']:.2f}",
                         f"{s['ideal_per_s']:.2f}", f"{s['ratio']:.2f}", s["load"]] for level, s in f["drain"].items()])
    if "cgi" in f:
        s = f["cgi"]
        md += table("### 6. CGI (fcgiwrap) vs FastCGI, one request at a time", ["mode", "p50 ms", "p99 ms"], [
            ["FastCGI", f"{s['fastcgi']['p50']:.2f}", f"{s['fastcgi']['p99']:.2f}"],
            ["CGI (fcgiwrap)", f"{s['cgi']['p50']:.2f}", f"{s['cgi']['p99']:.2f}"],
            ["bare PQconnectdb+PQfinish (C)", f"{s['pg_connect_ms']['median_ms']:.2f}", f"{s['pg_connect_ms']['p99_ms']:.2f}"]])
        md += [f"CGI under wrk -c{CONNECTIONS}: {s['wrk_cgi']['rps']:.0f} req/s, p99 {s['wrk_cgi']['p99']:.1f} ms.", ""]
    if "memory" in f:
        rows = []
        for name, s in f["memory"].items():
            if "requests" in s:
                detail = list(s["after_detail_kib"].values())
                rows.append([name, f"{s['requests']:,}", s["non_2xx_3xx"], list(s["rss_kib_before"].values()),
                             list(s["rss_kib_after"].values()), [d["pss"] for d in detail],
                             [d["private"] for d in detail], s["same_pids"]])
        for name, s in f["memory"].items():
            if "requests" not in s and s:
                rows.append([f"{name} (after figure 1)", "-", "-", "-", [d["rss"] for d in s.values()],
                             [d["pss"] for d in s.values()], [d["private"] for d in s.values()], "-"])
        md += table("### 7a. Handler RSS (KiB) before/after the requests",
                    ["handler", "requests", "non-2xx/3xx", "RSS before", "RSS after", "PSS after", "private after",
                     "same processes"], rows)
    if "start" in f:
        md += table("### 7b. Process start (exec → exit at the configuration check)",
                    ["executable", "median ms", "p90 ms", "Foundation", "Swift runtime", "shared libraries"], [
                        [name, f"{s['median_ms']:.2f}", f"{s['p90_ms']:.2f}", s["foundation"], s["swift_runtime"],
                         s["libraries"]] for name, s in f["start"].items()])
    if "parcoursup" in f:
        s = f["parcoursup"]
        md += table(f"### 8. Parcoursup import ({s['rows']:,} rows, {s['bytes'] / 2**20:.1f} MiB, 118 columns)",
                    ["import", "seconds", "rows loaded", "added", "unchanged"],
                    [[i["what"], f"{i['seconds']:.2f}", i["loaded"], i["added"], i["unchanged"]] for i in s["imports"]])
        md += table("### 8b. parcoursup_selection() with that session loaded",
                    ["questionnaire", "rows", "server ms p50 (max)", "client ms p50 (max)"],
                    [[name, c["rows"], f"{c['server_ms_p50']:.2f} ({c['server_ms_max']:.2f})",
                      f"{c['client_ms_p50']:.2f} ({c['client_ms_max']:.2f})"] for name, c in s["selection"].items()])
        md += ["```", s["explain"], "```", ""]
    md += ["Load average (1/5/15 min) seen: " + "; ".join(f"{l['where']} {l['load']}" for l in results.get("load", [])), ""]
    return "\n".join(md)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bilan-bench-"))
    results["started"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    mem = int(Path("/proc/meminfo").read_text().split()[1]) // 1024
    results["machine"] = f"{os.cpu_count()} CPUs ({cpu}), {mem} MiB, {platform.platform()}"
    results["command"] = "make bench " + " ".join(f"{k}={v}" for k, v in sorted(os.environ.items())
                                                   if k.startswith("BENCH_"))
    note_load("start")
    bench = Bench(work)
    figures = {"status": figure_status, "tuning": figure_tuning, "cgi": figure_cgi, "memory": figure_memory,
               "start": figure_start, "create": figure_create, "generator": figure_generator, "drain": figure_drain,
               "rows": figure_rows, "pdf": figure_pdf, "parcoursup": figure_parcoursup}
    failed = []
    try:
        bench.start()
        if set(ONLY) - {"parcoursup"}:
            figure_status(bench)  # also the fixture the others use (not the Parcoursup figure)
        for name in ALL_FIGURES:
            if name == "status" or name not in ONLY:
                continue
            try:
                log(f"figure {name}")
                figures[name](bench)
            except Exception as error:  # one broken figure must not lose the others
                failed.append(name)
                results["figures"].setdefault("errors", {})[name] = repr(error)[:2000]
                log(f"figure {name} FAILED: {error!r}")
    finally:
        results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
        results["targets"] = targets()
        try:
            bench.stop()
        finally:
            (OUT / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
            text = report()
            (OUT / "results.md").write_text(text + "\n")
            print(text)
            if os.environ.get("BENCH_KEEP"):
                print(f"work folder kept: {work}")
            else:
                shutil.rmtree(work, ignore_errors=True)
    if failed:
        sys.exit(f"figures that failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
