#!/usr/bin/env bash
# Issue 15's build benchmark, side by side in one run: a generated show of 10,000 episodes (each a
# 10-second MP3 and notes with four chapter lines) built by podmark, next to `cp -r` + `sync` of the
# same sources (first build) and podgen writing the same 10,000 items (edit rebuild, re-render);
# feed sizes; peak RSS (GNU time -v); then a 100,000-episode show (audio hard-linked) and its
# no-change rebuild. Needs ffmpeg, python3 (podgen goes into a bench-only venv) and /usr/bin/time.
#
# usage: benches/scale.sh [N=10000] [BIG=100000]     (N=0 or BIG=0 skips that part)
# env:   SITE=0 turns the website off (feed only)
#        SCALE_DIR (default: a temporary folder under /var/tmp, removed at the end)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
big=${2:-100000}
nice cargo build --release --quiet --bin podmark
bin=$PWD/target/release/podmark
tmp=${SCALE_DIR:-$(mktemp -d /var/tmp/podmark-scale.XXXXXX)}
[ -n "${SCALE_DIR:-}" ] || trap 'rm -rf "$tmp"' EXIT
venv=${PODGEN_VENV:-$tmp/venv}
if ! "$venv/bin/python" -c 'import podgen' 2>/dev/null; then
  python3 -m venv "$venv" && "$venv/bin/pip" install --quiet podgen
fi

# One 10-second MP3, copied into every episode.
ffmpeg -loglevel error -y -f lavfi -i sine=frequency=440:duration=10 -ac 1 -b:a 32k "$tmp/ten.mp3"

# `timed LABEL CMD…`: wall seconds and peak RSS (MB) of CMD, into $secs and $rss, and a line.
timed() {
  local label=$1; shift
  /usr/bin/time -v -o "$tmp/time.txt" "$@" >"$tmp/out.txt" 2>&1 || { cat "$tmp/out.txt"; exit 1; }
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$tmp/time.txt")
  rss=$(awk -F': ' '/Maximum resident/ { printf "%.1f", $2 / 1024 }' "$tmp/time.txt")
  local cpu; cpu=$(awk -F': ' '/Percent of CPU/ { print $2 }' "$tmp/time.txt")
  printf '  %-44s %8.2f s  %7s MB peak RSS  %5s CPU\n' "$label" "$secs" "$rss" "$cpu"
}
# The build's phases (PODMARK_TIMINGS=1 makes podmark print each one's milliseconds on stderr),
# summed by part: state (records, stats), episodes (load, probe, copy, tag, items), site (render,
# write pages), feed (render items, write and switch feed.xml), commit (sync, settle, garbage).
export PODMARK_TIMINGS=1
phases() {
  awk '/^podmark timing: / { sub(/^podmark timing: /, ""); split($0, a, ":"); t[a[1]] += $(NF - 1) }
       END { printf "      phases:"; n = split("state episodes site feed commit", p, " ");
             for (i = 1; i <= n; i++) printf " %s %.0f ms", p[i], t[p[i]]; print "" }' "$tmp/out.txt"
  site_ms=$(awk '/^podmark timing: site/ { t += $(NF - 1) } END { printf "%.0f", t }' "$tmp/out.txt")
  feed_ms=$(awk '/^podmark timing: feed/ { t += $(NF - 1) } END { printf "%.0f", t }' "$tmp/out.txt")
}
ratio() { python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(f'{a / b:.2f}' if b else 'inf')" "$1" "$2"; }

if [ "$n" -gt 0 ]; then
echo "== $n episodes ($(nproc) cores, $bin)"
python3 benches/scale_gen.py "$tmp/eps" "$n" "$tmp/ten.mp3"
# SITE=0: the feed alone (the website off), to see what the site adds to each step.
[ "${SITE:-1}" = 0 ] && printf '\n[site]\nenabled = false\n' >> "$tmp/eps/podcast.toml"
sync
timed "cp -r of the sources + sync" sh -c "cp -r '$tmp/eps' '$tmp/copy' && sync"
cp_secs=$secs
# The copy stays until the end: ext4 without a journal skips inodes deleted in the last five
# minutes (`recently_deleted` in the kernel's inode allocator, one inode-table read each), so a
# build right after deleting 30,000 files pays for the deletion. Nothing is deleted before a
# timed step (nor should the benchmark run within five minutes of a large deletion).
sync
timed "podmark first build" "$bin" build -q --episodes "$tmp/eps" --out "$tmp/feed"
first_secs=$secs; first_rss=$rss; phases; first_site=$site_ms; first_feed=$feed_ms
timed "podmark no-change rebuild" "$bin" build -q --episodes "$tmp/eps" --out "$tmp/feed"
phases
# The short steps run three times each (another episode, another description): the median counts.
median() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
runs=()
for k in 1 2 3; do
  mid=$(printf 'ep-%06d' $(( n / 4 * k )))
  printf '\nOne more paragraph, edited in.\n' >> "$tmp/eps/$mid/episode.md"
  timed "podmark rebuild after one episode.md edit ($k)" "$bin" build -q --episodes "$tmp/eps" --out "$tmp/feed"
  runs+=("$secs"); phases
  [ "$secs" = "$(median "${runs[@]}" "$secs" "$secs")" ] && { edit_site=$site_ms; edit_feed=$feed_ms; }
done
edit_secs=$(median "${runs[@]}")
runs=()
for k in 1 2 3; do
  sed -i "s/^description = .*/description = \"A generated back catalogue, edited $k.\"/" "$tmp/eps/podcast.toml"
  timed "podmark re-render after a podcast.toml edit ($k)" "$bin" build -q --episodes "$tmp/eps" --out "$tmp/feed"
  runs+=("$secs"); phases
done
render_secs=$(median "${runs[@]}")
# podgen writes the items of podmark's feed: the same HTML notes, GUIDs and episode numbers
# (scale_items.py takes them from feed.xml, untimed). The old anchor (the notes' markdown as
# escaped text, no episode numbers) is written too, untimed, for its size only.
python3 benches/scale_items.py "$tmp/feed/feed.xml" "$tmp/items.json" "$tmp/eps"
runs=()
for k in 1 2 3; do
  timed "podgen writing the same $n items ($k)" "$venv/bin/python" benches/scale_podgen.py "$tmp/items.json" "$tmp/podgen.xml"
  runs+=("$secs")
done
podgen_secs=$(median "${runs[@]}")
"$venv/bin/python" benches/scale_podgen.py "$tmp/items.json" "$tmp/podgen-plain.xml" --plain
feed_bytes=$(stat -c %s "$tmp/feed/feed.xml"); podgen_bytes=$(stat -c %s "$tmp/podgen.xml")
plain_bytes=$(stat -c %s "$tmp/podgen-plain.xml")
printf '  %-44s %8d bytes (podgen %d; old anchor %d)\n' "feed.xml" "$feed_bytes" "$podgen_bytes" "$plain_bytes"
echo "-- against the issue's targets (medians of three for the edit, the re-render and podgen)"
echo "  first build / (cp -r + sync):       $(ratio "$first_secs" "$cp_secs")x   (target <= 1.5)"
echo "  podgen / edit rebuild:              $(ratio "$podgen_secs" "$edit_secs")x   (target >= 7)"
echo "  podgen / re-render:                 $(ratio "$podgen_secs" "$render_secs")x   (target >= 3)"
echo "  feed size / podgen's:               $(ratio "$feed_bytes" "$podgen_bytes")x   (target <= 1.5)"
echo "  feed size / old anchor's:           $(ratio "$feed_bytes" "$plain_bytes")x   (podgen given markdown as text, no numbers)"
echo "  first build peak RSS:               $first_rss MB (target < 100)"
echo "  website / feed, first build:        ${first_site} ms / ${first_feed} ms (issue 14: the site within the feed's budget)"
echo "  website / feed, edit rebuild:       ${edit_site} ms / ${edit_feed} ms"
rm -rf "$tmp/copy" "$tmp/eps" "$tmp/feed" "$tmp/podgen.xml" "$tmp/podgen-plain.xml" "$tmp/items.json"
fi

if [ "$big" -gt 0 ]; then
  echo "== $big episodes (audio hard-linked)"
  python3 benches/scale_gen.py "$tmp/big" "$big" "$tmp/ten.mp3" --link
  # Inputs written within a clock tick of a build are "racily clean" and keep the next build on
  # the full path: let the clock move on first.
  sync; sleep 1
  timed "podmark first build" "$bin" build -q --episodes "$tmp/big" --out "$tmp/bigfeed"
  timed "podmark no-change rebuild" "$bin" build -q --episodes "$tmp/big" --out "$tmp/bigfeed"
  timed "podmark no-change rebuild, again" "$bin" build -q --episodes "$tmp/big" --out "$tmp/bigfeed"
  mid=$(printf 'ep-%06d' $(( (big + 1) / 2 )))
  printf '\nOne more paragraph, edited in.\n' >> "$tmp/big/$mid/episode.md"
  timed "podmark rebuild after one episode.md edit" "$bin" build -q --episodes "$tmp/big" --out "$tmp/bigfeed"
  timed "podmark no-change rebuild after it" "$bin" build -q --episodes "$tmp/big" --out "$tmp/bigfeed"
fi
