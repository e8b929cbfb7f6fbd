#!/usr/bin/env bash
# Build benchmark: a generated podcast of N episodes (default 10,000), podmark vs podgen (Python).
# Generated inputs go to target/bench-build/ (git-ignored), never committed.
#
#   scripts/bench-build.sh [N]
#
# Each episode: notes with 4 chapters (2-3 s apart) and a hard link to one 10 s MP3 (made once with
# ffmpeg). Measures, with wall time and peak RSS from /usr/bin/time:
# - podmark first build: probe + copy and tag N audio files (each fsynced) + chapter files + feed;
# - the first rebuild (full path: probes from the cache, nothing re-tagged or rewritten; it records the
#   fingerprint when the first build's inputs were too fresh to trust);
# - no-change rebuilds (the fast path: stats only);
# - a rebuild after one episode.md changed (full path again);
# - podgen writing the same N items (it probes and tags nothing).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
W=target/bench-build
PY=${PYTHON:-.venv/bin/python}
mkdir -p "$W"
"$PY" -m pip install --quiet --disable-pip-version-check podgen==1.1.0
cargo build --release --quiet
BIN=target/release/podmark

AUDIO="$W/audio-10s.mp3"
if [ ! -f "$AUDIO" ]; then
  ffmpeg -loglevel error -f lavfi -i "sine=frequency=440:duration=10" -ac 2 -ar 44100 -c:a libmp3lame -b:a 128k "$AUDIO"
fi
rm -rf "$W/episodes" "$W/feed"
"$PY" scripts/bench_build_gen.py "$W/episodes" "$N" "$AUDIO"

measure() { # label, command...
  local label=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$W/time.txt" "$@" > /dev/null
  read -r secs user sys kb < "$W/time.txt"
  printf '%-42s %8.3f s  (cpu %6.2f s)  %7.1f MB peak RSS\n' "$label" "$secs" "$(echo "$user+$sys" | bc -l)" "$(echo "$kb/1024" | bc -l)"
}

echo "== $N episodes =="
measure "podmark build (first)" "$BIN" build --episodes "$W/episodes" --out "$W/feed" --quiet
measure "podmark build (no change, 1st rebuild)" "$BIN" build --episodes "$W/episodes" --out "$W/feed" --quiet
measure "podmark build (no change)" "$BIN" build --episodes "$W/episodes" --out "$W/feed" --quiet
measure "podmark build (no change, again)" "$BIN" build --episodes "$W/episodes" --out "$W/feed" --quiet
sed -i 's/a title"/a new title"/' "$W/episodes/00001-episode/episode.md"
measure "podmark build (one episode.md edited)" "$BIN" build --episodes "$W/episodes" --out "$W/feed" --quiet
measure "podgen: write the same $N items" "$PY" scripts/bench_podgen.py "$N" "$W/podgen.xml"
ls -l "$W/feed/feed.xml" "$W/podgen.xml" | awk '{print $5, $9}'
