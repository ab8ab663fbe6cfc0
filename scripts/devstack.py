"""The whole stack on one machine, from real parts: a throwaway PostgreSQL
cluster, the migrations, the FastCGI handlers under spawn-fcgi (or fcgiwrap in
CGI mode), nginx with the shipped snippet, and the local Gemini-compatible and
SMTP servers, and (push=True) the local Web Push service with a fresh VAPID
pair. `make run`, `make eval`, `make bench` and the Python suites all
start it through here, so what the tests exercise is what a newcomer runs.
Import it as `scripts.devstack` from the repository root (pytest.ini).

Runs with Debian's /usr/bin/python3 and its standard library only.
"""
from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import tempfile
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HANDLERS = {
    "eligibility": "bilan-eligibility",
    "create": "bilan-create",
    "status": "bilan-status",
    "page": "bilan-page",
    "auth": "bilan-auth",
}
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PYTHON = "/usr/bin/python3"
# The Parcoursup open-data fixture (SPEC §13) the demo loads, so `make run`
# shows the « Formations repérées » table.
PARCOURSUP_FIXTURE = REPO / "fixtures" / "parcoursup" / "fr-esr-parcoursup-2025.csv"


# A COMPLETED report of realistic size (8 sections, lists, a table) for load tests.
SAMPLE_REPORT = "# Bilan d'orientation\n\n" + "\n\n".join(
    f"## {title}\n\n" + " ".join(["Un paragraphe **important** avec une [ressource](https://www.onisep.fr) "
                                   "et du texte ordinaire pour donner du volume au rapport."] * 12)
    + "\n\n- point un\n- point deux\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    for title in ["Synthèse de votre profil", "Vos points forts et vos axes de progrès",
                  "Pistes d'études recommandées", "Conseils psychopédagogiques", "Réalité du terrain",
                  "Stratégie Parcoursup", "Plan d'action", "Ressources utiles"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")


def control(port: int | None, method: str, path: str, body=None):
    """Calls a local test server's JSON control API (`/_control/...`)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


class Stack:
    """One complete local deployment under `root`."""

    def __init__(self, root: Path, *, port: int | None = None, bin_dir: Path | None = None,
                 workers: int = 2, mode: str = "fastcgi", mail: str = "file",
                 env: dict[str, str] | None = None, gemini_latency_ms: int = 0,
                 demo: bool = False, database_url: str | None = None, share_dir: Path | None = None,
                 tls: bool = False, nginx_locations: str = "", access_log: bool = True,
                 parcoursup: Path | None = None, push: bool = False):
        self.root = Path(root).resolve()
        # An installed tree's data folder (`make install`'s <PREFIX>/share/bilan):
        # nginx's snippets and www/ come from it instead of the repository, and
        # TEMPLATES_DIR, MIGRATIONS_DIR and GENERATOR_PATH stay unset, so the
        # executables of bin_dir must find ../share/bilan and bilan-generator
        # beside themselves, as in production.
        self.share_dir = Path(share_dir).resolve() if share_dir else None
        self.port = port or free_port()
        # tls=True: nginx also listens with TLS on tls_port (a self-signed
        # certificate for 127.0.0.1, made with openssl; see tls_certificate).
        self.tls_port = free_port() if tls else None
        self.bin_dir = Path(bin_dir or os.environ.get("BILAN_BIN", REPO / ".build" / "release")).resolve()
        self.workers = workers
        self.mode = mode
        self.mail = mail
        self.overrides = dict(env or {})
        self.gemini_latency_ms = gemini_latency_ms
        self.demo = demo
        # More nginx `location` blocks for the server (the bench's contenders),
        # after the shipped snippet; access_log=False keeps nginx from logging
        # requests outside the shipped locations (which log their own way).
        self.nginx_locations = nginx_locations
        self.access_log = access_log
        # A Parcoursup export to import after the migrations; the demo loads the
        # fixture (made-up figures) into its own database only, never a real one.
        self.parcoursup = parcoursup or (PARCOURSUP_FIXTURE if demo and not database_url else None)
        self.external_database = database_url
        self.processes: dict[str, subprocess.Popen] = {}
        self.supervisor_pids: dict[str, int] = {}
        self.env: dict[str, str] = {}
        self.gemini_port: int | None = None
        self.smtp_port: int | None = None
        # push=True: testservers/push_service.py runs, and the programs get a
        # VAPID pair made by `bilan-admin vapid-keys`, PUSH_ALLOW_HTTP=true (its
        # endpoints are plain http) and PUSH_SERVICE_HOSTS=127.0.0.1, unless
        # VAPID settings are given.
        self.push = push
        self.push_port: int | None = None
        self._pg_root: Path | None = None

    # ---- paths -----------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def tls_url(self) -> str:
        return f"https://127.0.0.1:{self.tls_port}"

    @property
    def tls_certificate(self) -> Path:
        """The self-signed certificate of the TLS listener (also its own CA)."""
        return self.root / "nginx" / "tls" / "cert.pem"

    @property
    def sockets(self) -> Path:
        return self.root / "run"

    @property
    def mail_dir(self) -> Path:
        return self.root / "mail"

    @property
    def pg_root(self) -> Path:
        """Where the cluster lives: under root when the postgres user can reach
        it, else a private folder in /tmp (a clone under /root is mode 0700)."""
        if self._pg_root is None:
            reachable = subprocess.run(["runuser", "-u", "postgres", "--", "test", "-x", str(self.root)]).returncode == 0
            self._pg_root = self.root / "pg" if reachable else Path(tempfile.mkdtemp(prefix="bilan-pg-"))
        return self._pg_root

    @property
    def pg_socket_dir(self) -> Path:
        return self.pg_root / "socket"

    @property
    def generator_log(self) -> Path:
        return self.root / "log" / "generator.log"

    @property
    def nginx_log(self) -> Path:
        return self.root / "log" / "nginx.log"

    # ---- lifecycle -------------------------------------------------------
    def start(self) -> "Stack":
        for sub in ("run", "mail", "log", "nginx"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        try:
            database_url = self.external_database or self.start_postgres()
            self.start_gemini()
            self.start_smtp()
            self.start_push()
            self.env = self.settings(database_url)
            self.admin("migrate")
            if self.parcoursup:
                self.admin("import-parcoursup", str(self.parcoursup))
            self.start_handlers()
            self.start_nginx()
            wait_for(self.answers, 20, "nginx and the handlers")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        self.stop_handlers()
        for name in [name for name in self.processes if name != "postgres"]:  # nginx, gemini, smtp, push, extras
            self.stop_process(name)
        self.stop_postgres()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- settings --------------------------------------------------------
    def settings(self, database_url: str) -> dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DATABASE_URL": database_url,
            "PUBLIC_URL": self.base_url,
            "GENERATOR_LOG": str(self.generator_log),
            "RUNTIME_DIR": str(self.root / "run"),
            "MAIL_FROM": "Bilan d'orientation <bilan@example.org>",
            "SUPPORT_URL": self.base_url + "/contact",
            "LOG_LEVEL": "info",
        }
        if self.share_dir is None:
            env["GENERATOR_PATH"] = str(self.bin_dir / "bilan-generator")
            env["TEMPLATES_DIR"] = str(REPO / "templates")
            env["MIGRATIONS_DIR"] = str(REPO / "migrations")
        if self.gemini_port:
            env["GEMINI_API_KEY"] = "local-fake-key"
            env["GEMINI_BASE_URL"] = f"http://127.0.0.1:{self.gemini_port}"
            env["GEMINI_TIMEOUT"] = "10"
        if self.mail == "smtp":
            env["MAIL_TRANSPORT"] = "smtp"
            env["SMTP_URL"] = f"smtp://127.0.0.1:{self.smtp_port}"
            env["SMTP_TLS"] = "none"
        else:
            env["MAIL_TRANSPORT"] = "file"
            env["MAIL_DIR"] = str(self.mail_dir)
        if self.demo:
            env["BILAN_DEMO"] = "1"
        if self.push_port and "VAPID_PRIVATE_KEY" not in self.overrides:
            env.update(self.vapid_settings())
        env.update(self.overrides)
        return env

    def vapid_settings(self) -> dict[str, str]:
        """A fresh VAPID pair, made by the admin CLI as a sysadmin would."""
        made = subprocess.run([str(self.bin_dir / "bilan-admin"), "vapid-keys", "--json"],
                              capture_output=True, text=True, check=True, env={"PATH": os.environ.get("PATH", "")})
        pair = json.loads(made.stdout)
        return {"VAPID_PUBLIC_KEY": pair["publicKey"], "VAPID_PRIVATE_KEY": pair["privateKey"],
                "VAPID_SUBJECT": "mailto:push@example.org", "PUSH_ALLOW_HTTP": "true",
                # The local push service is the only push host the stack may post to.
                "PUSH_SERVICE_HOSTS": "127.0.0.1"}

    # ---- PostgreSQL ------------------------------------------------------
    def start_postgres(self) -> str:
        data = self.pg_root / "data"
        self.pg_socket_dir.mkdir(parents=True, exist_ok=True)
        postgres = pwd.getpwnam("postgres")
        # initdb and postgres refuse to run as root: the cluster belongs to `postgres`.
        for path in (self.pg_root, self.pg_socket_dir):
            os.chown(path, postgres.pw_uid, postgres.pw_gid)
        if not (data / "PG_VERSION").exists():
            self.as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                              "-E", "UTF8", "--locale=C.UTF-8"], quiet=True)
        self.start_postgres_server()
        exists = subprocess.run(
            [str(PG_BIN / "psql"), "-h", str(self.pg_socket_dir), "-U", "postgres", "-d", "postgres", "-tAc",
             "SELECT 1 FROM pg_database WHERE datname='bilan'"], capture_output=True, text=True).stdout.strip()
        if exists != "1":
            subprocess.run([str(PG_BIN / "createdb"), "-h", str(self.pg_socket_dir), "-U", "postgres", "bilan"],
                           check=True)
        return f"postgresql:///bilan?host={self.pg_socket_dir}&user=postgres"

    def start_postgres_server(self):
        data = self.pg_root / "data"
        log = open(self.root / "log" / "postgres.log", "ab")
        self.processes["postgres"] = subprocess.Popen(
            ["runuser", "-u", "postgres", "--", str(PG_BIN / "postgres"), "-D", str(data),
             "-k", str(self.pg_socket_dir), "-c", "listen_addresses=", "-c", "fsync=off",
             "-c", "max_connections=200", "-c", "shared_buffers=64MB"],
            stdout=log, stderr=log, start_new_session=True)
        wait_for(lambda: subprocess.run(
            [str(PG_BIN / "pg_isready"), "-q", "-h", str(self.pg_socket_dir)]).returncode == 0,
            30, "PostgreSQL")

    def stop_postgres(self):
        self.stop_process("postgres", sig=signal.SIGINT)  # "fast" shutdown

    def restart_postgres(self, down_seconds: float = 0.0):
        self.stop_postgres()
        time.sleep(down_seconds)
        self.start_postgres_server()

    def as_postgres(self, argv: list[str], quiet: bool = False):
        subprocess.run(["runuser", "-u", "postgres", "--"] + argv, check=True,
                       stdout=subprocess.DEVNULL if quiet else None)

    def psql(self, sql: str, *params: str) -> str:
        """Runs SQL through psql (variables :'v1', :'v2'… bound safely by psql)."""
        argv = [str(PG_BIN / "psql"), self.env["DATABASE_URL"], "-XtAq", "-v", "ON_ERROR_STOP=1"]
        for i, value in enumerate(params, 1):
            argv += ["-v", f"v{i}={value}"]
        result = subprocess.run(argv, input=sql, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"psql failed: {result.stderr}")
        return result.stdout.strip()

    # ---- fake Gemini and SMTP --------------------------------------------
    def start_gemini(self):
        if "GEMINI_API_KEY" in self.overrides:
            return
        port_file = self.root / "run" / "gemini.port"
        port_file.unlink(missing_ok=True)
        args = ["--port", "0", "--port-file", str(port_file), "--latency-ms", str(self.gemini_latency_ms)]
        if self.demo:
            args.append("--demo")
        self.spawn_module("gemini", "testservers.fake_gemini", args)
        self.gemini_port = int(wait_for(lambda: port_file.exists() and port_file.read_text().strip(), 10,
                                        "the fake Gemini server"))

    def start_smtp(self, port: int | None = None):
        if self.mail != "smtp":
            return
        port_file = self.root / "run" / "smtp.port"
        port_file.unlink(missing_ok=True)
        self.spawn_module("smtp", "testservers.smtp_sink", ["--port", str(port or self.smtp_port or 0),
                                                           "--port-file", str(port_file), "--dir", str(self.mail_dir)])
        self.smtp_port = int(wait_for(lambda: port_file.exists() and port_file.read_text().strip(), 10,
                                      "the SMTP sink"))

    def stop_smtp(self):
        self.stop_process("smtp")

    def start_push(self):
        if not self.push:
            return
        port_file = self.root / "run" / "push.port"
        port_file.unlink(missing_ok=True)
        (self.root / "push").mkdir(parents=True, exist_ok=True)
        self.spawn_module("push", "testservers.push_service",
                          ["--port", "0", "--port-file", str(port_file), "--record", str(self.push_messages_file)])
        self.push_port = int(wait_for(lambda: port_file.exists() and port_file.read_text().strip(), 10,
                                      "the local push service"))

    @property
    def push_messages_file(self) -> Path:
        """Every push the local service delivered, decrypted, one JSON line each."""
        return self.root / "push" / "messages.jsonl"

    def push_service(self, method: str, path: str, body=None):
        """Calls the local push service's control API."""
        return control(self.push_port, method, path, body)

    def push_subscription(self, session_token: str, name: str | None = None) -> dict:
        """A browser-like subscription at the local push service, made with
        the site's VAPID key and posted to /api/orientation/push as the
        page does for the user of `session_token`."""
        options = {"applicationServerKey": self.env["VAPID_PUBLIC_KEY"]}
        if name:
            options["id"] = name
        subscription = self.push_service("POST", "/_control/subscriptions", options)
        body = {key: subscription[key] for key in ("endpoint", "expirationTime", "keys")}
        request = urllib.request.Request(
            self.base_url + "/api/orientation/push", data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json", "Origin": self.base_url,
                     "Cookie": f"{self.env.get('SESSION_COOKIE', 'bilan_session')}={session_token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201, response.status
        return subscription

    def gemini(self, method: str, path: str, body=None):
        """Calls the fake Gemini server's control API."""
        return control(self.gemini_port, method, path, body)

    # ---- handlers ----------------------------------------------------------
    def start_handlers(self):
        if self.mode == "cgi":
            self.start_cgi_mode()
            return
        for short, program in HANDLERS.items():
            self.start_handler(short, program)

    def start_handler(self, short: str, program: str | Path, *, workers: int | None = None,
                      env: dict[str, str] | None = None) -> Path:
        """spawn-fcgi binds the socket run/<short>.sock (returned); multiwatch
        (lighttpd's companion to it) keeps `workers` processes (the stack's
        default) on it and restarts any that dies. `program` is an executable
        of bin_dir or a path (the bench's C anchor); `env`, the stack's
        settings unless given (the bench adds DATABASE_PREPARED)."""
        workers = workers or self.workers
        program = Path(program) if Path(program).is_absolute() else self.bin_dir / program
        sock = self.sockets / f"{short}.sock"
        pidfile = self.root / "run" / f"{short}.pids"
        sock.unlink(missing_ok=True)
        pidfile.unlink(missing_ok=True)
        subprocess.run(["spawn-fcgi", "-s", str(sock), "-M", "0660", "-P", str(pidfile), "--",
                        # No `-s TERM`: Debian's multiwatch 1.0.0 sends the wrong signal for
                        # every -s name (TERM → SIGQUIT, which the Swift runtime's backtracer
                        # catches: the worker lives on, one thread spinning). Its default,
                        # SIGUSR1, is libfcgi's graceful stop: finish the request, exit.
                        "/usr/bin/multiwatch", "-f", str(workers), "--",
                        str(program)], env=self.env if env is None else env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.supervisor_pids[short] = int(pidfile.read_text().split()[0])
        wait_for(lambda: len(self.worker_pids(short)) == workers, 10, f"{program.name} workers")
        return sock

    def worker_pids(self, short: str) -> list[int]:
        """The live worker processes of one handler (children of its multiwatch)."""
        supervisor = self.supervisor_pids.get(short)
        if supervisor is None:
            return []
        try:
            children = Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()
        except OSError:
            return []
        return sorted(int(pid) for pid in children)

    @property
    def handler_pids(self) -> dict[str, list[int]]:
        return {short: self.worker_pids(short) for short in self.supervisor_pids}

    def stop_handlers(self):
        leftovers = []
        for short, supervisor in list(self.supervisor_pids.items()):
            leftovers += self.worker_pids(short) + [supervisor]
            try:
                os.kill(supervisor, signal.SIGTERM)  # multiwatch passes SIGUSR1 on to the workers
            except ProcessLookupError:
                pass
            self.supervisor_pids.pop(short)
        # Never leave a worker behind (a stopped stack's processes would outlive it).
        def gone(pid: int) -> bool:
            try:
                return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
            except (OSError, IndexError):
                return True
        try:
            wait_for(lambda: all(gone(pid) for pid in leftovers), 5, "the handlers to stop")
        except TimeoutError:
            for pid in leftovers:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.stop_process("fcgiwrap")

    def start_fcgiwrap(self, name: str = "fcgiwrap", children: int | None = None) -> Path:
        """An fcgiwrap on run/<name>.sock (returned), which runs the executable
        that nginx names in SCRIPT_FILENAME, one process per request."""
        sock = self.sockets / f"{name}.sock"
        sock.unlink(missing_ok=True)
        self.spawn(name, ["fcgiwrap", "-c", str(children or self.workers * 2), "-f", "-s", f"unix:{sock}"],
                   self.root / "log" / f"{name}.log", env=self.env)
        wait_for(sock.exists, 10, f"{name}'s socket")
        return sock

    def start_cgi_mode(self):
        """CGI mode: one fcgiwrap serves every route by running the executables per request."""
        sock = self.start_fcgiwrap()
        for short in HANDLERS:
            link = self.sockets / f"{short}.sock"
            link.unlink(missing_ok=True)
            link.symlink_to(sock)

    # ---- nginx -------------------------------------------------------------
    def start_nginx(self):
        prefix = self.root / "nginx"
        for sub in ("client_body", "fastcgi", "proxy", "scgi", "uwsgi"):
            (prefix / sub).mkdir(parents=True, exist_ok=True)
        nginx_dir = self.share_dir / "nginx" if self.share_dir else REPO / "nginx"
        www = self.share_dir / "www" if self.share_dir else REPO / "www"
        locations = (nginx_dir / "bilan-locations.conf").read_text()
        locations = locations.replace("/run/bilan/", str(self.sockets) + "/")
        locations = locations.replace("/usr/local/share/bilan/www", str(www))
        locations = locations.replace("/var/log/nginx/access.log", str(prefix / "access.log"))
        if self.mode == "cgi":
            locations = self.cgi_locations(locations)
        (prefix / "bilan-locations.conf").write_text(locations)
        shutil.copy(nginx_dir / "bilan-http.conf", prefix / "bilan-http.conf")
        config = (REPO / "nginx" / "bilan-local.conf").read_text()
        config = (config.replace("@TLS@", self.tls_listener(prefix))
                  .replace("@PREFIX@", str(prefix)).replace("@PORT@", str(self.port))
                  .replace("@WWW@", str(www))
                  .replace("@USER@", "user root;" if os.geteuid() == 0 else ""))
        shipped = f"include {prefix}/bilan-locations.conf;"
        config = config.replace(shipped, shipped + "\n" + self.nginx_locations)
        if not self.access_log:
            config = config.replace(f"access_log {prefix}/access.log;", "access_log off;")
        (prefix / "nginx.conf").write_text(config)
        self.spawn("nginx", ["nginx", "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", "stderr"],
                   self.nginx_log)

    def tls_listener(self, prefix: Path) -> str:
        """The server{} lines of the optional TLS listener (none by default)."""
        if self.tls_port is None:
            return ""
        folder = prefix / "tls"
        folder.mkdir(parents=True, exist_ok=True)
        key = folder / "key.pem"
        if not self.tls_certificate.exists():
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                            "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                            "-keyout", str(key), "-out", str(self.tls_certificate)],
                           check=True, capture_output=True)
        return (f"listen 127.0.0.1:{self.tls_port} ssl;\n"
                f"        ssl_certificate {self.tls_certificate};\n"
                f"        ssl_certificate_key {key};")

    def cgi_locations(self, locations: str) -> str:
        """Adds SCRIPT_FILENAME so fcgiwrap knows which executable to run."""
        out = []
        current = None
        for line in locations.splitlines():
            for short in HANDLERS:
                if f"/{short}.sock;" in line:
                    current = short
                    out.append(line.replace(f"{short}.sock", "fcgiwrap.sock"))
                    out.append(f"    fastcgi_param SCRIPT_FILENAME {self.bin_dir / HANDLERS[short]};")
                    break
            else:
                out.append(line)
        return "\n".join(out) + "\n"

    def answers(self) -> bool:
        try:
            urllib.request.urlopen(self.base_url + "/api/orientation/eligibility", timeout=2)
        except urllib.error.HTTPError as error:
            return error.code == 401
        except OSError:
            return False
        return False

    # ---- processes -----------------------------------------------------------
    def spawn(self, name: str, argv: list[str], log_path: Path, env: dict[str, str] | None = None):
        log = open(log_path, "ab")
        self.processes[name] = subprocess.Popen(argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                                env=env, start_new_session=True)

    def spawn_module(self, name: str, module: str, args: list[str]):
        """One of the repository's Python servers, run as a module of its
        package tree (`python3 -m testservers.fake_gemini`) from any folder;
        logs to log/<name>.log."""
        self.spawn(name, [PYTHON, "-B", "-m", module, *args], self.root / "log" / f"{name}.log",
                   env={**os.environ, "PYTHONPATH": str(REPO)})

    def stop_process(self, name: str, sig=signal.SIGTERM):
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    # ---- admin CLI -------------------------------------------------------------
    def admin(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([str(self.bin_dir / "bilan-admin"), *args], env=self.env,
                                capture_output=True, text=True)
        if check and result.returncode != 0:
            raise RuntimeError(f"bilan-admin {' '.join(args)} failed: {result.stderr.strip()}")
        return result

    def subscriber(self, email: str, plan: str = "ANNUAL") -> str:
        """Creates a paying user and returns a session token for them."""
        self.admin("user", "add", email)
        self.admin("payment", "add", email, "--plan", plan)
        return self.admin("session", email).stdout.strip()

    def bulk_subscribers(self, count: int, prefix: str, plan: str = "ANNUAL") -> list[tuple[str, str]]:
        """`count` paying users with open sessions in one statement (the admin CLI
        would take a process per user); returns (address, session token) pairs."""
        tag = secrets.token_hex(4)
        people = [(f"{prefix}-{tag}-{n}@example.org", secrets.token_urlsafe(32)) for n in range(count)]
        values = ",".join(f"('{email}', '{token}')" for email, token in people)  # our own ASCII literals only
        assert plan in ("MONTHLY", "ANNUAL")
        self.psql(f"""
            WITH input(email, token) AS (VALUES {values}),
                 made AS (INSERT INTO users ("email") SELECT email FROM input RETURNING "id", "email"),
                 paid AS (INSERT INTO payments ("userId", "plan", "status")
                          SELECT "id", '{plan}', 'SUCCEEDED' FROM made RETURNING "userId")
            INSERT INTO sessions ("tokenHash", "userId", "expiresAt")
            SELECT sha256(convert_to(i.token, 'UTF8')), m."id", now() + interval '1 day'
              FROM input i JOIN made m ON m."email" = i.email;""")
        return people

    def generator(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.bin_dir / "bilan-generator"), *args], env=self.env,
                              capture_output=True, text=True, timeout=timeout)

    def generator_pids(self) -> list[int]:
        """Live `bilan-generator` processes of this stack (found by the
        GENERATOR_LOG in their environment, so other stacks' generators are
        never touched)."""
        marker = f"GENERATOR_LOG={self.generator_log}".encode()
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                argv = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
                if not argv or not argv[0].endswith(b"bilan-generator"):
                    continue
                environ = Path(f"/proc/{entry}/environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if marker in environ:
                pids.append(int(entry))
        return pids

    def kill_generators(self):
        """SIGKILL every generator of this stack still alive (teardown, or a
        bench figure that has measured what it wanted)."""
        for pid in self.generator_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
