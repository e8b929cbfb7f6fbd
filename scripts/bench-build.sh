#!/usr/bin/env bash
# Build benchmark: a generated podcast of N episodes (default 10,000), podmark vs podgen (Python).
# Generated inputs go to target/bench-build/ (git-ignored), never committed.
#
#   scripts/bench-build.sh [N]
#
# Measures: podmark first build (probe + tag 10k copies + chapter files + feed), no-change rebuild
# (probes from the cache, nothing re-tagged or rewritten), feed-only cost, and podgen writing the
# same N items; wall time and peak RSS from /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
W=target/bench-build
PY=${PYTHON:-.venv/bin/python}
mkdir -p "$W"
"$PY" -m pip install --quiet --disable-pip-version-check podgen==1.1.0
cargo build --release --quiet
BIN=target/release/podmark

rm -rf "$W/episodes" "$W/feed"
"$PY" scripts/bench_build_gen.py "$W/episodes" "$N" tests/fixtures/audio/mp3-cbr-44k-stereo-lame.mp3

measure() { # label, command...
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$W/time.txt" "$@" > /dev/null
  read -r secs kb < "$W/time.txt"
  printf '%-40s %8.3f s  %7.1f MB peak RSS\n' "$label" "$secs" "$(echo "$kb/1024" | bc -l)"
}

echo "== $N episodes =="
measure "podmark build (first)" "$BIN" build --episodes "$W/episodes" --out "$W/feed" --quiet
measure "podmark build (no change)" "$BIN" build --episodes "$W/episodes" --out "$W/feed" --quiet
measure "podmark build (no change, again)" "$BIN" build --episodes "$W/episodes" --out "$W/feed" --quiet
measure "podgen: write the same $N items" "$PY" scripts/bench_podgen.py "$N" "$W/podgen.xml"
ls -l "$W/feed/feed.xml" "$W/podgen.xml" | awk '{print $5, $9}'
