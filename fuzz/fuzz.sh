#!/bin/sh
# Builds and runs the libFuzzer targets (see fuzz/README.md).
#
#   fuzz/fuzz.sh build [target...]            build only
#   fuzz/fuzz.sh run SECONDS [target...]      build, then fuzz each target SECONDS
#   fuzz/fuzz.sh repro TARGET FILE...         run inputs once (reproduce a crash)
#
# Needs only the Swift toolchain (its clang runtime has libFuzzer and ASan) and
# the cmark-gfm headers/libraries that `make deps` installs. Everything it
# writes goes under .build-fuzz/: the committed seeds in fuzz/corpus/ are read,
# never written (new inputs land in .build-fuzz/findings/<target>/).
set -eu
cd "$(dirname "$0")/.."

SWIFTC=${SWIFTC:-swiftc}
ROOT=$(pwd)
OUT=${FUZZ_OUT:-.build-fuzz}
case "$OUT" in /*) ;; *) OUT=$ROOT/$OUT ;; esac
# Swift's own crash backtracer fights ASan over the crashing process: let
# libFuzzer and ASan report (the fatalError message is printed either way).
export SWIFT_BACKTRACE=${SWIFT_BACKTRACE:-enable=no}
ALL_TARGETS="json questionnaire form cookie markdown"
# Same language mode and strictness as Package.swift; -O keeps Swift's bounds
# and overflow traps, which is what we want the fuzzer to hit.
SWIFT_FLAGS="-sanitize=fuzzer,address -parse-as-library -O -g -use-ld=lld -swift-version 6 -enable-upcoming-feature ExistentialAny"

# BilanCore without the parts that need PostgreSQL or swift-log: the JSON
# parser and writer, the domain rules and their small helpers.
core_sources() {
    find Sources/BilanCore -name '*.swift' ! -path '*/Database/*' ! -path '*/Logging/*' | LC_ALL=C sort
}

# The few BilanWeb (and BilanMarkdown) files under test, found by name so a move between folders
# does not break the build (a new dependency of theirs must be added here).
WEB_FILES="FormDecoding.swift Request.swift Cookies.swift ReturnPath.swift MarkdownRenderer.swift"
web_sources() {
    for name in $WEB_FILES; do
        path=$(find Sources/BilanWeb Sources/BilanMarkdown -name "$name" | head -n 1)
        [ -n "$path" ] || { echo "fuzz: Sources/BilanWeb/**/$name not found (update WEB_FILES in fuzz/fuzz.sh)" >&2; exit 1; }
        echo "$path"
    done
}

# True when $1 is missing or older than one of the other arguments.
stale() {
    out=$1; shift
    [ -e "$out" ] || return 0
    for f in "$@"; do [ "$f" -nt "$out" ] && return 0; done
    return 1
}

# One module as a static library plus its .swiftmodule, in $OUT/<dir>.
build_module() {
    name=$1 dir=$2; shift 2
    if stale "$OUT/$dir/lib$name.a" "$@"; then
        echo "fuzz: compiling $name ($# files)"
        rm -rf "$OUT/$dir" && mkdir -p "$OUT/$dir"
        # In its own folder: swiftc leaves intermediate objects in the working directory.
        (cd "$OUT/$dir" && "$SWIFTC" $SWIFT_FLAGS -module-name "$name" \
            -I "$OUT/core" -I "$ROOT/Sources/CCmark" \
            -emit-module -emit-module-path "$name.swiftmodule" \
            -emit-library -static -o "lib$name.a" \
            $(for f in "$@"; do echo "$ROOT/$f"; done))
    fi
}

build() {
    # Another compiler or other flags: start from scratch.
    mkdir -p "$OUT"
    if [ "$(cat "$OUT/flags" 2>/dev/null)" != "$SWIFTC $SWIFT_FLAGS" ]; then
        rm -rf "$OUT/core" "$OUT/web" "$OUT/bin"
        echo "$SWIFTC $SWIFT_FLAGS" >"$OUT/flags"
    fi
    # shellcheck disable=SC2046
    build_module BilanCore core $(core_sources)
    # shellcheck disable=SC2046
    build_module BilanWeb web $(web_sources)
    mkdir -p "$OUT/bin"
    for t in "$@"; do
        src=fuzz/targets/$t.swift
        [ -f "$src" ] || { echo "fuzz: unknown target $t (have: $ALL_TARGETS)" >&2; exit 1; }
        bin=$OUT/bin/fuzz-$t
        if stale "$bin" "$src" fuzz/support/*.swift "$OUT/core/libBilanCore.a" "$OUT/web/libBilanWeb.a"; then
            echo "fuzz: linking fuzz-$t"
            "$SWIFTC" $SWIFT_FLAGS -module-name "Fuzz_$t" -I "$OUT/core" -I "$OUT/web" -I Sources/CCmark \
                "$src" fuzz/support/*.swift -o "$bin" \
                -L "$OUT/web" -L "$OUT/core" -lBilanWeb -lBilanCore -lcmark-gfm-extensions -lcmark-gfm
        fi
    done
}

# Fuzzes one target for $2 seconds; the log goes to $OUT/logs/<target>.log and
# one summary line to the terminal.
run_one() {
    t=$1 seconds=$2
    mkdir -p "$OUT/findings/$t" "$OUT/artifacts/$t" "$OUT/logs"
    # crashes-fixed/<target>/ holds the reproducers of bugs found so far: replayed with the seeds, as regression tests.
    set -- "$OUT/findings/$t" "fuzz/corpus/$t"
    [ -d "fuzz/crashes-fixed/$t" ] && set -- "$@" "fuzz/crashes-fixed/$t"
    set -- "$@" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -max_len=8192 -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$t/"
    [ -f "fuzz/dicts/$t.dict" ] && set -- "$@" -dict="fuzz/dicts/$t.dict"
    log=$OUT/logs/$t.log
    stamp=$OUT/artifacts/$t.start
    : >"$stamp"
    echo "fuzz: $t for ${seconds}s (log: $log)"
    if "$OUT/bin/fuzz-$t" "$@" >"$log" 2>&1; then
        summary "$t" "$log"
        return 0
    fi
    echo "fuzz: $t FAILED — last lines of $log:" >&2
    tail -n 40 "$log" >&2
    find "$OUT/artifacts/$t" -type f -newer "$stamp" | sed 's/^/fuzz: reproducer /' >&2
    return 1
}

summary() {
    stats=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$2" | tail -n 1)
    execs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$2")
    echo "fuzz: $1 ok — ${stats:-no stats} — ${execs:-?} exec/s"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
build)
    [ $# -gt 0 ] || set -- $ALL_TARGETS
    build "$@"
    ;;
run)
    [ $# -gt 0 ] || { echo "usage: $0 run SECONDS [target...]" >&2; exit 2; }
    seconds=$1; shift
    [ $# -gt 0 ] || set -- $ALL_TARGETS
    build "$@"
    failed=""
    for t in "$@"; do run_one "$t" "$seconds" || failed="$failed $t"; done
    [ -z "$failed" ] || { echo "fuzz: failing targets:$failed" >&2; exit 1; }
    ;;
repro)
    [ $# -ge 2 ] || { echo "usage: $0 repro TARGET FILE..." >&2; exit 2; }
    t=$1; shift
    build "$t"
    exec "$OUT/bin/fuzz-$t" "$@"
    ;;
*)
    echo "usage: $0 build [target...] | run SECONDS [target...] | repro TARGET FILE..." >&2
    exit 2
    ;;
esac
