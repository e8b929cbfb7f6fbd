#!/usr/bin/env bash
# Benchmarks MP4 chapter tagging, in one run:
#   * a 60-minute AAC .m4a (44.1 kHz stereo, 128 kb/s, ≈58 MB), moov after the audio and moov first
#     (faststart), tagged with the seed show notes' 13 chapters by
#       podmark tag (first tag = rewrite; re-tag with edited titles = in place),
#       ffmpeg -i in -i meta -map_metadata 1 -map_chapters 1 -c copy out (a full remux),
#       mp4ameta 0.13's own write (examples/mp4ameta_chapters.rs: its chpl list and chapter track);
#   * peak memory (max RSS from /usr/bin/time -v) on a ≈1 GB file (the 60-minute audio 18 times,
#     concatenated without re-encoding), both layouts.
# Wall times are the median of RUNS runs (default 5), each on a fresh copy; page cache warm.
# Audio goes to the git-ignored target/bench-audio/mp4/ and is never committed.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
dir=target/bench-audio/mp4
mkdir -p "$dir"
ff() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }

cargo build --release --quiet --bin podmark --example mp4ameta_chapters
# Copies, so that a rebuild during the run cannot swap the binaries under it.
mkdir -p "$dir/bin"
cp target/release/podmark target/release/examples/mp4ameta_chapters "$dir/bin/"
podmark=$dir/bin/podmark
mp4ameta=$dir/bin/mp4ameta_chapters

if [ ! -f "$dir/60min-last.m4a" ]; then
  echo "making $dir/60min-last.m4a (60 min AAC, takes a minute or two)…"
  ff -f lavfi -i "sine=frequency=220:sample_rate=44100:duration=3600" -ac 2 -c:a aac -b:a 128k "$dir/60min-last.m4a"
fi
[ -f "$dir/60min-first.m4a" ] || ff -i "$dir/60min-last.m4a" -c copy -movflags +faststart "$dir/60min-first.m4a"
if [ ! -f "$dir/1gb-last.m4a" ]; then
  echo "making $dir/1gb-*.m4a (18 × 60 min, stream copy)…"
  : > "$dir/concat.txt"
  for _ in $(seq 18); do echo "file '60min-last.m4a'" >> "$dir/concat.txt"; done
  ff -f concat -safe 0 -i "$dir/concat.txt" -c copy "$dir/1gb-last.m4a"
  ff -i "$dir/1gb-last.m4a" -c copy -movflags +faststart "$dir/1gb-first.m4a"
fi

grep -E '^  • [0-9]' tests/fixtures/shownotes/seed-eigencast-020.txt > "$dir/seed.txt"
sed 's/$/ (edited)/' "$dir/seed.txt" > "$dir/seed-edited.txt"
"$podmark" chapters convert "$dir/seed.txt" --to ffmetadata --duration 60:00 -o "$dir/seed.ffmeta" >/dev/null

# run LABEL SETUP-CMD CMD…: median wall seconds and max RSS (MB) over RUNS runs.
run() {
  local label=$1 setup=$2; shift 2
  local times=() rss=0
  for _ in $(seq "$RUNS"); do
    eval "$setup"
    sync
    /usr/bin/time -f "%e %M" -o "$dir/time.txt" "$@" >/dev/null 2>"$dir/stderr.txt" || { cat "$dir/stderr.txt"; return 1; }
    read -r t m < "$dir/time.txt"
    times+=("$t")
    (( m > rss )) && rss=$m
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  printf '%-48s %8.3f s   %7.1f MB\n' "$label" "$median" "$(echo "$rss / 1024" | bc -l)"
}

work="$dir/work.m4a"
tagged="$dir/tagged.m4a"
out="$dir/out.m4a"
echo "runs: $RUNS   $(ffmpeg -version | head -1 | cut -d' ' -f1-3)   $(nproc) cores   load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-48s %10s   %10s\n' "60-minute AAC, 13 chapters" "median" "max RSS"
for layout in last first; do
  src="$dir/60min-$layout.m4a"
  run "podmark tag, moov $layout (rewrite)" "cp $src $work" "$podmark" tag "$work" --chapters "$dir/seed.txt"
  cp "$src" "$tagged"; "$podmark" tag "$tagged" --chapters "$dir/seed.txt" >/dev/null
  run "podmark re-tag, moov $layout (in place)" "cp $tagged $work" "$podmark" tag "$work" --chapters "$dir/seed-edited.txt"
  run "ffmpeg -map_chapters -c copy, moov $layout" "rm -f $out" ffmpeg -nostdin -loglevel error -y -i "$src" -i "$dir/seed.ffmeta" \
    -map_metadata 1 -map_chapters 1 -c copy $( [ "$layout" = first ] && echo -movflags +faststart ) "$out"
  run "mp4ameta 0.13 write, moov $layout" "cp $src $work" "$mp4ameta" "$work" "$dir/seed.txt"
done
printf '\n%-48s %10s   %10s\n' "1 GB file ($(du -m "$dir/1gb-last.m4a" | cut -f1) MB), 13 chapters" "median" "max RSS"
RUNS=1
for layout in last first; do
  src="$dir/1gb-$layout.m4a"
  run "podmark tag, moov $layout (rewrite)" "cp $src $work" "$podmark" tag "$work" --chapters "$dir/seed.txt"
  run "mp4ameta 0.13 write, moov $layout" "cp $src $work" "$mp4ameta" "$work" "$dir/seed.txt"
done
rm -f "$work" "$tagged" "$out" "$dir/time.txt" "$dir/stderr.txt"
