#!/usr/bin/env bash
# Run each atheris harness for SECONDS (default 60) over the seed corpus.
#   fuzz/run.sh [SECONDS] [HARNESS...]     e.g. fuzz/run.sh 600 decode
# framer and decode take messages (fuzz/corpus); session takes scripts (fuzz/corpus-session).
# Inputs that crash go to fuzz/crashes/<harness>-crash-<sha1> and make the run fail.
# New inputs found are kept in $FUZZ_WORKDIR/<harness> if it is set, else thrown away.
# Extra libFuzzer flags: FUZZ_FLAGS="-jobs=2 -workers=2" fuzz/run.sh 3600
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
harnesses=("$@")
[ ${#harnesses[@]} -eq 0 ] && harnesses=(framer decode session)
python=${PYTHON:-python3}
work=${FUZZ_WORKDIR:-$(mktemp -d)}
[ -n "${FUZZ_WORKDIR:-}" ] || trap 'rm -rf "$work"' EXIT
mkdir -p fuzz/crashes "$work"

seeds=fuzz/corpus
if [ ! -d "$seeds" ]; then
    seeds=$work/seeds
    "$python" fuzz/make_corpus.py --out "$seeds" || exit 1
fi
session_seeds=fuzz/corpus-session
if [ ! -d "$session_seeds" ]; then
    session_seeds=$work/session-seeds
    "$python" fuzz/fuzz_session.py --seeds "$session_seeds" || exit 1
fi

status=0
for name in "${harnesses[@]}"; do
    mkdir -p "$work/$name"
    log=$work/$name.log
    find fuzz/crashes -name "$name-*" | sort >"$work/$name.before"
    harness_seeds=$seeds
    [ "$name" = session ] && harness_seeds=$session_seeds
    echo "fuzz_$name: ${seconds}s, seeds from $harness_seeds"
    # shellcheck disable=SC2086  # FUZZ_FLAGS is a list of flags
    "$python" "fuzz/fuzz_$name.py" "$work/$name" "$harness_seeds" \
        -max_total_time="$seconds" -timeout=10 -max_len=8192 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="fuzz/crashes/$name-" ${FUZZ_FLAGS:-} \
        >"$log" 2>&1
    rc=$?
    new=$(find fuzz/crashes -name "$name-*" | sort | comm -13 "$work/$name.before" -)
    if [ $rc -ne 0 ] || [ -n "$new" ]; then
        tail -n 40 "$log"
        echo "fuzz_$name: FAILED (exit $rc)"
        [ -z "$new" ] || printf '  crash input: %s\n' $new
        echo "  reproduce: $python fuzz/fuzz_$name.py fuzz/crashes/<file>"
        status=1
    else
        grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)|INITED' "$log" \
            | sed "s/^/  /"
        echo "fuzz_$name: ok"
    fi
done
exit $status
