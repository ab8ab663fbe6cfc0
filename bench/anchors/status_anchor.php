<?php
// The PHP anchor of the benchmark (bench/README.md): GET /api/orientation/bilan/<id>
// as a PHP-FPM site would write it with PDO pgsql (persistent connection,
// PDO's defaults otherwise). Same work and same bytes as bilan-status:
// cookie -> orientation_session_user(token) -> bilan by id AND owner -> JSON,
// FNV-1a 64 ETag, 304, Retry-After while PENDING, 401/404/405/503 (SPEC §3).

// The Swift writer's escaping: " \\ \n \r \t, < > & as \u003c \u003e \u0026, U+2028/2029 and other
// control characters as \u00xx (lower-case hex, no \b or \f). json_encode does that for every string
// without < > & \x08 \x0c (its hex is upper-case and it writes \b \f); those take the slow path.
function json_str(string $s): string {
    if (strpbrk($s, "<>&\x08\x0c") === false) {
        return json_encode($s, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES);
    }
    $out = '"';
    foreach (preg_split('//u', $s, -1, PREG_SPLIT_NO_EMPTY) as $ch) {
        $out .= match (true) {
            $ch === '"' => '\\"', $ch === '\\' => '\\\\', $ch === "\n" => '\\n', $ch === "\r" => '\\r', $ch === "\t" => '\\t',
            $ch === '<' => '\\u003c', $ch === '>' => '\\u003e', $ch === '&' => '\\u0026',
            $ch === "\u{2028}" => '\\u2028', $ch === "\u{2029}" => '\\u2029',
            strlen($ch) === 1 && ord($ch) < 0x20 => sprintf('\\u%04x', ord($ch)),
            default => $ch,
        };
    }
    return $out . '"';
}
function answer(int $status, string $body, array $headers = []): void {
    http_response_code($status);
    header('Content-Type: application/json; charset=utf-8');
    header('Cache-Control: no-store');
    header('X-Content-Type-Options: nosniff');
    foreach ($headers as $h) header($h);
    header('Content-Length: ' . strlen($body));
    if ($_SERVER['REQUEST_METHOD'] !== 'HEAD') echo $body;
}
function error_answer(int $status, string $code, string $message, array $headers = []): void {
    answer($status, '{"error":"' . $code . '","message":' . json_str($message) . '}', $headers);
}
function iso(?string $ms): string {
    $ms = (int)$ms;
    $secs = intdiv($ms, 1000);
    return '"' . gmdate('Y-m-d\TH:i:s', $secs) . sprintf('.%03dZ', $ms - $secs * 1000) . '"';
}
function sections(string $md): string {
    $out = []; $fence = false;
    foreach (explode("\n", $md) as $line) {
        $t = trim($line, " \t\r");
        if (str_starts_with($t, '```') || str_starts_with($t, '~~~')) $fence = !$fence;
        if ($fence || !str_starts_with($t, '## ')) continue;
        $title = trim(rtrim(trim(substr($t, 3), " \t"), '#'), " \t");
        if ($title !== '') $out[] = json_str($title);
    }
    return '[' . implode(',', $out) . ']';
}
const LABELS = [1 => 'Étape 1 sur 3 : analyse initiale de votre profil', 2 => 'Étape 2 sur 3 : analyse psychopédagogique',
                3 => 'Étape 3 sur 3 : vérification terrain et rédaction'];

$uri = $_SERVER['DOCUMENT_URI'] ?? '';
$at = strpos($uri, '/api/orientation/bilan/');
if ($at === false) { error_answer(404, 'not_found', 'Ce bilan est introuvable.'); return; }
if ($_SERVER['REQUEST_METHOD'] !== 'GET' && $_SERVER['REQUEST_METHOD'] !== 'HEAD') {
    error_answer(405, 'method_not_allowed', 'Méthode non autorisée pour cette adresse.', ['Allow: GET, HEAD']); return;
}
$token = $_COOKIE[getenv('SESSION_COOKIE') ?: 'bilan_session'] ?? null;
if (!is_string($token) || !preg_match('/^[A-Za-z0-9_-]{16,256}$/', $token)) {
    error_answer(401, 'unauthenticated', 'Vous devez être connecté(e) pour continuer.'); return;
}
$idText = substr($uri, $at + strlen('/api/orientation/bilan/'));
$id = preg_match('/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/', $idText) ? strtolower($idText) : null;
try {
    $db = new PDO(getenv('PDO_DSN'), 'postgres', null, [PDO::ATTR_PERSISTENT => true, PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
    $q = $db->prepare('SELECT orientation_session_user(?)');
    $q->execute([$token]);
    $user = $q->fetchColumn();
    if ($user === null || $user === false) { error_answer(401, 'unauthenticated', 'Vous devez être connecté(e) pour continuer.'); return; }
    if ($id === null) { error_answer(404, 'not_found', 'Ce bilan est introuvable.'); return; }
    $q = $db->prepare('SELECT b."id", b."status", b."progressStep",
             (extract(epoch FROM b."createdAt") * 1000)::bigint AS c, (extract(epoch FROM b."updatedAt") * 1000)::bigint AS u,
             (extract(epoch FROM b."completedAt") * 1000)::bigint AS d, b."resultat", b."errorMessage"
        FROM "orientation_bilans" b WHERE b."id" = ?::uuid AND b."userId" = ?::uuid');
    $q->execute([$id, $user]);
    $row = $q->fetch(PDO::FETCH_NUM);
} catch (PDOException $e) {
    error_answer(503, 'unavailable', 'Le service est momentanément indisponible. Réessayez dans quelques instants.', ['Retry-After: 5']);
    return;
}
if (!$row) { error_answer(404, 'not_found', 'Ce bilan est introuvable.'); return; }
[$bid, $status, $step, $created, $updated, $completedAt, $md, $message] = $row;
$shown = $status === 'COMPLETED' ? 3 : max(0, min((int)$step, 3));
$label = $status === 'COMPLETED' ? 'Bilan terminé' : ($status === 'FAILED' ? 'La génération a échoué'
    : (LABELS[$shown] ?? "En file d'attente : la génération va commencer"));
$body = '{"id":' . json_str($bid) . ',"status":' . json_str($status) . ',"createdAt":' . iso($created)
    . ',"updatedAt":' . iso($updated) . ',"completedAt":' . ($completedAt === null ? 'null' : iso($completedAt))
    . ',"progress":{"step":' . $shown . ',"total":3,"label":' . json_str($label) . '}';
if ($status === 'COMPLETED' && $md !== null) $body .= ',"resultat":' . json_str($md) . ',"sections":' . sections($md);
if ($status === 'FAILED') $body .= ',"errorMessage":' . json_str($message ?? "La génération de votre bilan n'a pas abouti. Vous pouvez relancer un bilan ; si le problème persiste, contactez le support.");
$body .= '}';

// FNV-1a 64 bits, as the Swift handler (PHP ints are signed 64-bit: multiply in two halves).
$h1 = 0xcbf29ce4; $h0 = 0x84222325;
for ($i = 0, $n = strlen($body); $i < $n; $i++) {
    $h0 ^= ord($body[$i]);
    // (h1:h0) * 0x100000001b3 mod 2^64, with 32-bit halves.
    $lo = $h0 * 0x1b3;
    $hi = $h1 * 0x1b3 + ($h0 << 8) + ($lo >> 32);
    $h0 = $lo & 0xffffffff; $h1 = $hi & 0xffffffff;
}
$etag = sprintf('"%08x%08x"', $h1, $h0);
$headers = ['ETag: ' . $etag];
if ($status === 'PENDING') $headers[] = 'Retry-After: 5';
$inm = $_SERVER['HTTP_IF_NONE_MATCH'] ?? null;
if ($inm !== null) {
    foreach (explode(',', $inm) as $tag) {
        $tag = trim($tag, " \t");
        if (str_starts_with($tag, 'W/')) $tag = substr($tag, 2);
        if ($tag === '*' || $tag === $etag) {
            http_response_code(304);
            foreach ($headers as $h) header($h);
            header('Cache-Control: no-store');
            header_remove('Content-Type');
            return;
        }
    }
}
answer(200, $body, $headers);
