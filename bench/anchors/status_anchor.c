/*
 * The C anchor of the benchmark (bench/README.md): what a careful sysadmin
 * would write in C for `GET /api/orientation/bilan/<id>` — a libfcgi
 * responder on the socket spawn-fcgi hands over on fd 0, one libpq
 * connection per process, named prepared statements. Same work as
 * bilan-status: cookie -> orientation_session_user(token) -> bilan by id AND
 * owner -> the same JSON bytes, the same ETag (FNV-1a 64), 304 on
 * If-None-Match, Retry-After while PENDING, 401/404/405/503 as in SPEC §3.
 *
 * Two round trips by default (session user, then the bilan), as one writes
 * it naturally; ANCHOR_ONE_TRIP=1 uses a single joined statement instead.
 * Not production code: no history route, no health route.
 */
#include <fcgiapp.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static PGconn *conn;
static int one_trip;
static const char *cookie_name = "bilan_session";

static const char *SQL_USER = "SELECT orientation_session_user($1)";
static const char *SQL_BILAN =
    "SELECT b.\"id\", b.\"status\", b.\"progressStep\","
    " (extract(epoch FROM b.\"createdAt\") * 1000)::bigint,"
    " (extract(epoch FROM b.\"updatedAt\") * 1000)::bigint,"
    " (extract(epoch FROM b.\"completedAt\") * 1000)::bigint,"
    " b.\"resultat\", b.\"errorMessage\""
    " FROM \"orientation_bilans\" b WHERE b.\"id\" = $1::uuid AND b.\"userId\" = $2::uuid";
static const char *SQL_JOINED =
    "SELECT u.uid, b.\"id\", b.\"status\", b.\"progressStep\","
    " (extract(epoch FROM b.\"createdAt\") * 1000)::bigint,"
    " (extract(epoch FROM b.\"updatedAt\") * 1000)::bigint,"
    " (extract(epoch FROM b.\"completedAt\") * 1000)::bigint,"
    " b.\"resultat\", b.\"errorMessage\""
    " FROM (SELECT orientation_session_user($1) AS uid) u"
    " LEFT JOIN \"orientation_bilans\" b ON b.\"id\" = $2::uuid AND b.\"userId\" = u.uid";

/* ---- a growable byte buffer ------------------------------------------- */
typedef struct { char *p; size_t n, cap; } buf;
static void put(buf *b, const char *s, size_t n) {
    if (b->n + n + 1 > b->cap) {
        while (b->n + n + 1 > b->cap) b->cap = b->cap ? b->cap * 2 : 1024;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}
static void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }

/* Same escaping as JSONValue.writeString. */
static void put_json_string(buf *b, const char *s, size_t n) {
    put(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char tmp[8];
        switch (c) {
        case '"': puts_(b, "\\\""); break;
        case '\\': puts_(b, "\\\\"); break;
        case '\n': puts_(b, "\\n"); break;
        case '\r': puts_(b, "\\r"); break;
        case '\t': puts_(b, "\\t"); break;
        case '<': puts_(b, "\\u003c"); break;
        case '>': puts_(b, "\\u003e"); break;
        case '&': puts_(b, "\\u0026"); break;
        default:
            if (c == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
                ((unsigned char)s[i + 2] == 0xA8 || (unsigned char)s[i + 2] == 0xA9)) {
                puts_(b, (unsigned char)s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029");
                i += 2;
            } else if (c < 0x20) {
                snprintf(tmp, sizeof tmp, "\\u%04x", c);
                puts_(b, tmp);
            } else {
                put(b, (const char *)&s[i], 1);
            }
        }
    }
    put(b, "\"", 1);
}

static void put_iso(buf *b, long long ms) {
    time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    long long frac = ms - (long long)secs * 1000;
    struct tm tm;
    gmtime_r(&secs, &tm);
    char tmp[100];
    snprintf(tmp, sizeof tmp, "\"%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ\"", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
    puts_(b, tmp);
}

static int is_space(char c) { return c == ' ' || c == '\t'; }

/* `## ` headings outside code fences, as MarkdownSections.headings. */
static void put_sections(buf *b, const char *md) {
    int first = 1, fence = 0;
    puts_(b, "[");
    const char *line = md;
    while (line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        const char *s = line, *e = line + len;
        while (s < e && is_space(*s)) s++;
        while (e > s && (is_space(e[-1]) || e[-1] == '\r')) e--;
        if (e - s >= 3 && (!strncmp(s, "```", 3) || !strncmp(s, "~~~", 3))) fence = !fence;
        if (!fence && e - s >= 3 && !strncmp(s, "## ", 3)) {
            const char *t = s + 3, *u = e;
            while (t < u && is_space(*t)) t++;
            while (u > t && u[-1] == '#') u--;
            while (u > t && is_space(u[-1])) u--;
            if (u > t) {
                if (!first) puts_(b, ",");
                put_json_string(b, t, (size_t)(u - t));
                first = 0;
            }
        }
        line = end ? end + 1 : NULL;
    }
    puts_(b, "]");
}

static const char *label(const char *status, int step) {
    if (!strcmp(status, "COMPLETED")) return "Bilan terminé";
    if (!strcmp(status, "FAILED")) return "La génération a échoué";
    switch (step) {
    case 1: return "Étape 1 sur 3 : analyse initiale de votre profil";
    case 2: return "Étape 2 sur 3 : analyse psychopédagogique";
    case 3: return "Étape 3 sur 3 : vérification terrain et rédaction";
    default: return "En file d'attente : la génération va commencer";
    }
}

/* ---- answers -------------------------------------------------------------- */
/* libfcgi's FCGX_FPrintF knows no %zu: format with snprintf, write with FCGX_PutStr. */
#include <stdarg.h>
static void out_printf(FCGX_Stream *out, const char *format, ...) {
    char head[1024];
    va_list ap;
    va_start(ap, format);
    int n = vsnprintf(head, sizeof head, format, ap);
    va_end(ap);
    if (n > 0) FCGX_PutStr(head, n < (int)sizeof head ? n : (int)sizeof head - 1, out);
}
static void error_answer(FCGX_Request *r, int status, const char *reason, const char *code, const char *message,
                         const char *extra) {
    buf b = {0};
    puts_(&b, "{\"error\":\"");
    puts_(&b, code);
    puts_(&b, "\",\"message\":");
    put_json_string(&b, message, strlen(message));
    puts_(&b, "}");
    out_printf(r->out,
                 "Status: %d %s\r\nContent-Type: application/json; charset=utf-8\r\nCache-Control: no-store\r\n"
                 "X-Content-Type-Options: nosniff\r\n%sContent-Length: %zu\r\n\r\n",
                 status, reason, extra ? extra : "", b.n);
    FCGX_PutStr(b.p, (int)b.n, r->out);
    free(b.p);
}
#define UNAUTHENTICATED(r) error_answer(r, 401, "Unauthorized", "unauthenticated", "Vous devez être connecté(e) pour continuer.", NULL)
#define NOT_FOUND(r) error_answer(r, 404, "Not Found", "not_found", "Ce bilan est introuvable.", NULL)
#define UNAVAILABLE(r) error_answer(r, 503, "Service Unavailable", "unavailable", "Le service est momentanément indisponible. Réessayez dans quelques instants.", "Retry-After: 5\r\n")

/* The first value of cookie `name`, copied into out (NULL if absent). */
static const char *cookie_value(const char *header, char *out, size_t cap) {
    if (!header) return NULL;
    size_t name_len = strlen(cookie_name);
    const char *p = header;
    while (*p) {
        const char *end = strchr(p, ';');
        if (!end) end = p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(end - p));
        if (eq) {
            const char *ns = p, *ne = eq;
            while (ns < ne && is_space(*ns)) ns++;
            while (ne > ns && is_space(ne[-1])) ne--;
            if ((size_t)(ne - ns) == name_len && !memcmp(ns, cookie_name, name_len)) {
                const char *vs = eq + 1, *ve = end;
                while (vs < ve && is_space(*vs)) vs++;
                while (ve > vs && is_space(ve[-1])) ve--;
                if (ve - vs >= 2 && *vs == '"' && ve[-1] == '"') { vs++; ve--; }
                size_t n = (size_t)(ve - vs);
                if (n >= cap) return NULL;
                memcpy(out, vs, n);
                out[n] = 0;
                return out;
            }
        }
        p = *end ? end + 1 : end;
    }
    return NULL;
}

static int well_formed_token(const char *t) {
    size_t n = strlen(t);
    if (n < 16 || n > 256) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' || c == '_'))
            return 0;
    }
    return 1;
}

/* 36 characters, dashes at 8/13/18/23, hex elsewhere; lower-cased into out. */
static int parse_id(const char *text, char out[37]) {
    if (strlen(text) != 36) return 0;
    for (int i = 0; i < 36; i++) {
        char c = text[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return 0;
            out[i] = c;
        } else if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) out[i] = c;
        else if (c >= 'A' && c <= 'F') out[i] = (char)(c + 32);
        else return 0;
    }
    out[36] = 0;
    return 1;
}

static int etag_matches(const char *header, const char *etag) {
    if (!header) return 0;
    const char *p = header;
    while (1) {
        const char *end = strchr(p, ',');
        if (!end) end = p + strlen(p);
        const char *s = p, *e = end;
        while (s < e && is_space(*s)) s++;
        while (e > s && is_space(e[-1])) e--;
        if (e - s == 1 && *s == '*') return 1;
        if (e - s >= 2 && s[0] == 'W' && s[1] == '/') s += 2;
        if ((size_t)(e - s) == strlen(etag) && !memcmp(s, etag, (size_t)(e - s))) return 1;
        if (!*end) return 0;
        p = end + 1;
    }
}

static int connect_db(void) {
    if (conn && PQstatus(conn) == CONNECTION_OK) return 1;
    if (conn) PQfinish(conn);
    conn = PQconnectdb(getenv("DATABASE_URL"));
    if (PQstatus(conn) != CONNECTION_OK) return 0;
    PGresult *r1 = PQprepare(conn, "user", SQL_USER, 1, NULL);
    PGresult *r2 = PQprepare(conn, "bilan", SQL_BILAN, 2, NULL);
    PGresult *r3 = PQprepare(conn, "joined", SQL_JOINED, 2, NULL);
    int ok = PQresultStatus(r1) == PGRES_COMMAND_OK && PQresultStatus(r2) == PGRES_COMMAND_OK &&
             PQresultStatus(r3) == PGRES_COMMAND_OK;
    PQclear(r1);
    PQclear(r2);
    PQclear(r3);
    return ok;
}

/* Runs a prepared statement; NULL (and a dropped connection) on failure. */
static PGresult *run(const char *name, int n, const char *const *values) {
    PGresult *res = PQexecPrepared(conn, name, n, values, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        PQclear(res);
        PQfinish(conn);
        conn = NULL;
        return NULL;
    }
    return res;
}

static void serve(FCGX_Request *r) {
    const char *method = FCGX_GetParam("REQUEST_METHOD", r->envp);
    const char *uri = FCGX_GetParam("DOCUMENT_URI", r->envp);
    if (!uri) uri = "";
    const char *at = strstr(uri, "/api/orientation/bilan/");
    if (!at) { NOT_FOUND(r); return; }
    if (!method || (strcmp(method, "GET") && strcmp(method, "HEAD"))) {
        error_answer(r, 405, "Method Not Allowed", "method_not_allowed", "Méthode non autorisée pour cette adresse.",
                     "Allow: GET, HEAD\r\n");
        return;
    }
    char token[260];
    const char *tok = cookie_value(FCGX_GetParam("HTTP_COOKIE", r->envp), token, sizeof token);
    if (!tok || !well_formed_token(tok)) { UNAUTHENTICATED(r); return; }
    char id[37];
    int id_ok = parse_id(at + strlen("/api/orientation/bilan/"), id);
    if (!connect_db()) { UNAVAILABLE(r); return; }

    PGresult *res;
    int off;
    if (one_trip) {
        const char *values[2] = {tok, id_ok ? id : NULL};
        if (!(res = run("joined", 2, values))) { UNAVAILABLE(r); return; }
        if (PQntuples(res) < 1 || PQgetisnull(res, 0, 0)) { PQclear(res); UNAUTHENTICATED(r); return; }
        if (PQgetisnull(res, 0, 1)) { PQclear(res); NOT_FOUND(r); return; }
        off = 1;
    } else {
        const char *v1[1] = {tok};
        PGresult *user = run("user", 1, v1);
        if (!user) { UNAVAILABLE(r); return; }
        if (PQntuples(user) < 1 || PQgetisnull(user, 0, 0)) { PQclear(user); UNAUTHENTICATED(r); return; }
        if (!id_ok) { PQclear(user); NOT_FOUND(r); return; }
        const char *v2[2] = {id, PQgetvalue(user, 0, 0)};
        res = run("bilan", 2, v2);
        PQclear(user);
        if (!res) { UNAVAILABLE(r); return; }
        if (PQntuples(res) < 1) { PQclear(res); NOT_FOUND(r); return; }
        off = 0;
    }
    const char *status = PQgetvalue(res, 0, off + 1);
    int step = atoi(PQgetvalue(res, 0, off + 2));
    int completed = !strcmp(status, "COMPLETED"), failed = !strcmp(status, "FAILED");
    int shown = completed ? 3 : (step < 0 ? 0 : step > 3 ? 3 : step);
    buf b = {0};
    puts_(&b, "{\"id\":");
    put_json_string(&b, PQgetvalue(res, 0, off), strlen(PQgetvalue(res, 0, off)));
    puts_(&b, ",\"status\":");
    put_json_string(&b, status, strlen(status));
    puts_(&b, ",\"createdAt\":");
    put_iso(&b, atoll(PQgetvalue(res, 0, off + 3)));
    puts_(&b, ",\"updatedAt\":");
    put_iso(&b, atoll(PQgetvalue(res, 0, off + 4)));
    puts_(&b, ",\"completedAt\":");
    if (PQgetisnull(res, 0, off + 5)) puts_(&b, "null");
    else put_iso(&b, atoll(PQgetvalue(res, 0, off + 5)));
    char progress[64];
    snprintf(progress, sizeof progress, ",\"progress\":{\"step\":%d,\"total\":3,\"label\":", shown);
    puts_(&b, progress);
    const char *l = label(status, shown);
    put_json_string(&b, l, strlen(l));
    puts_(&b, "}");
    if (completed && !PQgetisnull(res, 0, off + 6)) {
        const char *md = PQgetvalue(res, 0, off + 6);
        puts_(&b, ",\"resultat\":");
        put_json_string(&b, md, (size_t)PQgetlength(res, 0, off + 6));
        puts_(&b, ",\"sections\":");
        put_sections(&b, md);
    }
    if (failed) {
        const char *m = PQgetisnull(res, 0, off + 7)
                            ? "La génération de votre bilan n'a pas abouti. Vous pouvez relancer un bilan ; si le problème persiste, contactez le support."
                            : PQgetvalue(res, 0, off + 7);
        puts_(&b, ",\"errorMessage\":");
        put_json_string(&b, m, strlen(m));
    }
    puts_(&b, "}");
    PQclear(res);

    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < b.n; i++) { h ^= (unsigned char)b.p[i]; h *= 0x100000001b3ULL; }
    char etag[24];
    snprintf(etag, sizeof etag, "\"%016llx\"", (unsigned long long)h);
    const char *retry = strcmp(status, "PENDING") ? "" : "Retry-After: 5\r\n";
    if (etag_matches(FCGX_GetParam("HTTP_IF_NONE_MATCH", r->envp), etag)) {
        out_printf(r->out, "Status: 304 Not Modified\r\nETag: %s\r\n%sCache-Control: no-store\r\n\r\n", etag, retry);
    } else {
        out_printf(r->out,
                     "Status: 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nCache-Control: no-store\r\n"
                     "X-Content-Type-Options: nosniff\r\nETag: %s\r\n%sContent-Length: %zu\r\n\r\n",
                     etag, retry, b.n);
        if (strcmp(method, "HEAD")) FCGX_PutStr(b.p, (int)b.n, r->out);
    }
    free(b.p);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    if (getenv("SESSION_COOKIE")) cookie_name = getenv("SESSION_COOKIE");
    one_trip = getenv("ANCHOR_ONE_TRIP") && !strcmp(getenv("ANCHOR_ONE_TRIP"), "1");
    if (!getenv("DATABASE_URL")) {
        fprintf(stderr, "status-anchor: DATABASE_URL is not set\n");
        return 78;
    }
    FCGX_Init();
    FCGX_Request r;
    FCGX_InitRequest(&r, 0, 0);
    while (FCGX_Accept_r(&r) >= 0) {
        serve(&r);
        FCGX_Finish_r(&r);
    }
    return 0;
}
