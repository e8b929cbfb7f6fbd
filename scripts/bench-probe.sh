#!/usr/bin/env bash
# Benchmarks `podmark probe` against the anchors on 60-minute files, in one run:
#   podmark probe --json FILE
#   ffprobe -show_entries format=duration FILE           (ffprobe's default: estimates MP3 without Xing)
#   ffprobe -count_packets -show_entries stream=...      (ffprobe's exact mode: reads every packet)
# and reports each tool's duration and its error against the true length, wall time (hyperfine when
# installed, else a loop) and peak RSS (/usr/bin/time -v) on the 60-minute file and a 6-minute one.
#
# The audio is generated into $PODMARK_BENCH_DIR (default: ${TMPDIR:-/tmp}/podmark-bench-audio) and
# reused by later runs; never commit it. Takes ~3 minutes the first time on 2 cores.
# Usage: scripts/bench-probe.sh [--criterion]   (--criterion also runs `cargo bench --bench probe` on them)
set -euo pipefail
cd "$(dirname "$0")/.."
DIR="${PODMARK_BENCH_DIR:-${TMPDIR:-/tmp}/podmark-bench-audio}"
mkdir -p "$DIR"
FF=(ffmpeg -hide_banner -loglevel error -nostdin -y)
NOISE="anoisesrc=color=pink:amplitude=0.3:duration=3600:sample_rate=44100:seed=1"
SINE="sine=frequency=440:duration=3600:sample_rate=44100"
TRUE_SAMPLES=158760000 # 3600 s at 44.1 kHz

gen() { # FILE ffmpeg-args...
  local f="$DIR/$1"; shift
  if [ ! -s "$f" ]; then
    echo "generating $f" >&2
    "${FF[@]}" "$@" "$f.tmp.${f##*.}" && mv "$f.tmp.${f##*.}" "$f"
  fi
}
gen long_vbr.mp3 -f lavfi -i "$NOISE" -ac 2 -c:a libmp3lame -q:a 4            # VBR + Xing + LAME tag
gen long_vbr_noxing.mp3 -i "$DIR/long_vbr.mp3" -c copy -write_xing 0           # same frames, no Xing
gen short_vbr_noxing.mp3 -i "$DIR/long_vbr_noxing.mp3" -c copy -t 360          # 6 minutes, for RSS
gen long.m4a -f lavfi -i "$SINE" -ac 2 -c:a aac -b:a 128k                      # moov at the end

cargo build --release --quiet --bin podmark
BIN="$PWD/target/release/podmark"

echo "# podmark probe benchmark ($(date -u +%Y-%m-%d), $(nproc) cores, $(ffprobe -version | head -1 | cut -d' ' -f1-3))"
echo
echo "True length: 3600 s = $TRUE_SAMPLES samples at 44.1 kHz (+ encoder delay/padding for MP3 without a LAME tag)."
echo
echo "| file | size | podmark samples (precision) | podmark s | ffprobe default s (error) | ffprobe -count_packets | "
echo "|---|---|---|---|---|---|"
for f in long_vbr_noxing.mp3 long_vbr.mp3 long.m4a; do
  p="$DIR/$f"
  json=$("$BIN" probe --json "$p")
  read -r samples secs precision < <(python3 -c 'import json,sys; d=json.load(sys.stdin)[0]; print(d["samples"], d["duration_secs"], d["precision"])' <<<"$json")
  fdef=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$p")
  if [[ $f == *.mp3 ]]; then
    n=$(ffprobe -v error -count_packets -select_streams a:0 -show_entries stream=nb_read_packets -of csv=p=0 "$p" | tr -d ',')
    exact="$n packets = $((n * 1152)) samples"
  else
    exact="duration_ts $(ffprobe -v error -count_packets -select_streams a:0 -show_entries stream=duration_ts -of csv=p=0 "$p" | tr -d ',')"
  fi
  err=$(python3 -c "print(f'{$fdef - 3600:+.3f} s, {($fdef - 3600) / 36:+.2f} %')")
  echo "| $f | $(stat -c %s "$p") B | $samples ($precision) | $secs | $fdef ($err) | $exact |"
done
echo

echo "## Wall time"
echo
for f in long_vbr_noxing.mp3 long_vbr.mp3 long.m4a; do
  p="$DIR/$f"
  cat "$p" >/dev/null # warm the page cache
  if command -v hyperfine >/dev/null; then
    hyperfine -N --warmup 2 --runs 10 --style none --export-markdown "$DIR/hf.md" \
      -n "podmark probe" "$BIN probe --json $p" \
      -n "ffprobe format=duration" "ffprobe -v error -show_entries format=duration $p" \
      -n "ffprobe -count_packets" "ffprobe -v error -count_packets -show_entries stream=nb_read_packets $p" \
      >/dev/null
    echo "### $f"
    echo
    cat "$DIR/hf.md"
    echo
  else
    for cmd in "$BIN probe --json $p" "ffprobe -v error -show_entries format=duration $p" \
      "ffprobe -v error -count_packets -show_entries stream=nb_read_packets $p"; do
      start=$(date +%s%N)
      for _ in 1 2 3 4 5 6 7 8 9 10; do $cmd >/dev/null; done
      end=$(date +%s%N)
      echo "- $f: \`$cmd\`: mean of 10 runs $(((end - start) / 10000000)) ms"
    done
  fi
done

echo "## Peak memory (maximum resident set size)"
echo
echo "| command | 6-minute MP3 (no Xing) | 60-minute MP3 (no Xing) |"
echo "|---|---|---|"
rss() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident/ {print $2 " KB"}'; }
echo "| podmark probe | $(rss "$BIN" probe "$DIR/short_vbr_noxing.mp3") | $(rss "$BIN" probe "$DIR/long_vbr_noxing.mp3") |"
echo "| ffprobe -count_packets | $(rss ffprobe -v error -count_packets -show_entries stream=nb_read_packets "$DIR/short_vbr_noxing.mp3") | $(rss ffprobe -v error -count_packets -show_entries stream=nb_read_packets "$DIR/long_vbr_noxing.mp3") |"

if [ "${1:-}" = "--criterion" ]; then
  PODMARK_BENCH_AUDIO="$DIR" cargo bench --bench probe
fi
