#!/usr/bin/env bash
# Benchmarks `podmark tag` on MP3 against the anchors, whole process each time:
#   - mutagen: a small Python script writing the same CHAP/CTOC (ID3v2.3, 13 chapters, CTOC+TIT2);
#   - ffmpeg: `-map_chapters` remux into a new file (how FFmpeg adds chapters).
# Input: a generated 60-minute 128 kbit/s stereo MP3 (and a 1 GB one for peak memory), in the
# git-ignored target/bench-audio/. Chapters: the sample episode's 13 chapters.
# "first write" = the untagged file; "re-write" = the file already tagged by the same tool, with
# every title changed. Needs ffmpeg, hyperfine, python3 with mutagen (.venv), /usr/bin/time.
# Results: target/bench-audio/results.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dir=target/bench-audio
mkdir -p "$dir"
export PATH="$root/.venv/bin:$PATH"
cargo build --release --quiet --bin podmark
podmark=$root/target/release/podmark
cd "$dir"

if [ ! -f long.mp3 ]; then
  echo "generating a 60-minute 128 kbit/s MP3 ..."
  ffmpeg -nostdin -v error -f lavfi -i "sine=frequency=440:duration=3600:sample_rate=44100" \
    -ac 2 -c:a libmp3lame -b:a 128k -id3v2_version 0 long.mp3
fi
if [ ! -f huge.mp3 ]; then
  echo "generating a 1 GB MP3 (the 60-minute file 18 times) ..."
  for _ in $(seq 18); do echo "file 'long.mp3'"; done > huge.txt
  ffmpeg -nostdin -v error -f concat -safe 0 -i huge.txt -c copy -id3v2_version 0 huge.mp3
fi

notes=$root/episodes/020-containers-with-red-hat/episode.md
"$podmark" chapters convert "$notes" --to text | grep -v '^#' > a.txt
sed 's/$/ (take 2)/' a.txt > b.txt
"$podmark" chapters convert a.txt --to ffmetadata --duration 60:00 > a.ffmeta
"$podmark" chapters convert b.txt --to ffmetadata --duration 60:00 > b.ffmeta

cat > mutagen_tag.py <<'PY'
"""Writes CHAP/CTOC like podmark does (ID3v2.3, chp0..., toc with TIT2, ends = next start / length)."""
import sys
from mutagen.id3 import ID3, CHAP, CTOC, CTOCFlags, TIT2, ID3NoHeaderError
from mutagen.mp3 import MP3

path, chapters = sys.argv[1], sys.argv[2]
rows = []
for line in open(chapters, encoding="utf-8"):
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    time, title = line.split(" ", 1)
    h, m, s = time.split(":")
    rows.append((round((int(h) * 3600 + int(m) * 60 + float(s)) * 1000), title))
length = round(MP3(path).info.length * 1000)
try:
    tag = ID3(path)
except ID3NoHeaderError:
    tag = ID3()
tag.delall("CHAP")
tag.delall("CTOC")
ids = ["chp%d" % i for i in range(len(rows))]
tag.add(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED, child_element_ids=ids,
             sub_frames=[TIT2(text=["Chapters"])]))
for i, (start, title) in enumerate(rows):
    end = rows[i + 1][0] if i + 1 < len(rows) else length
    tag.add(CHAP(element_id=ids[i], start_time=start, end_time=end, sub_frames=[TIT2(text=[title])]))
tag.save(path, v2_version=3)
PY

# Pre-tagged copies for the re-write runs: each tool re-tags its own output.
cp long.mp3 tagged-podmark.mp3 && "$podmark" tag tagged-podmark.mp3 --chapters a.txt >/dev/null
cp long.mp3 tagged-mutagen.mp3 && python3 mutagen_tag.py tagged-mutagen.mp3 a.txt
ffmpeg -nostdin -v error -y -i long.mp3 -i a.ffmeta -map 0 -map_chapters 1 -c copy -id3v2_version 3 tagged-ffmpeg.mp3

runs=${RUNS:-10}
# `sync` after each copy: the copy's dirty pages must not be flushed by the fsync being timed.
hf() { hyperfine --style basic --runs "$runs" --warmup 2 --export-json "$1.json" --prepare "$2 && sync" -n "$1" "$3" >/dev/null; }
echo "timing (hyperfine, $runs runs each) ..."
hf podmark-first "cp long.mp3 work.mp3" "$podmark tag work.mp3 --chapters a.txt"
hf mutagen-first "cp long.mp3 work.mp3" "python3 mutagen_tag.py work.mp3 a.txt"
hf ffmpeg-first "rm -f out.mp3" "ffmpeg -nostdin -v error -y -i long.mp3 -i a.ffmeta -map 0 -map_chapters 1 -c copy -id3v2_version 3 out.mp3"
hf podmark-rewrite "cp tagged-podmark.mp3 work.mp3" "$podmark tag work.mp3 --chapters b.txt"
hf mutagen-rewrite "cp tagged-mutagen.mp3 work.mp3" "python3 mutagen_tag.py work.mp3 b.txt"
hf ffmpeg-rewrite "rm -f out.mp3" "ffmpeg -nostdin -v error -y -i tagged-ffmpeg.mp3 -i b.ffmeta -map 0 -map_chapters 1 -c copy -id3v2_version 3 out.mp3"
hf podmark-unchanged "cp tagged-podmark.mp3 work.mp3" "$podmark tag work.mp3 --chapters a.txt"
# For comparison only: podmark with its fsync calls made no-ops (mutagen and ffmpeg never sync).
nosync=""
if command -v eatmydata >/dev/null; then
  nosync=1
  hf podmark-first-nosync "cp long.mp3 work.mp3" "eatmydata $podmark tag work.mp3 --chapters a.txt"
  hf podmark-rewrite-nosync "cp tagged-podmark.mp3 work.mp3" "eatmydata $podmark tag work.mp3 --chapters b.txt"
fi
export nosync

rss() { # peak resident set size in MiB of one run
  /usr/bin/time -f "%M" -o rss.txt "$@" >/dev/null 2>&1
  awk '{ printf "%.1f", $1 / 1024 }' rss.txt
}
echo "peak memory ..."
{
  echo "# podmark tag (MP3) vs mutagen vs ffmpeg remux — $(date -u +%Y-%m-%d), $(nproc) cores"
  echo "# 60-minute 128 kbit/s stereo MP3 ($(stat -c %s long.mp3) bytes), 13 chapters; mean ± sd over $runs runs, whole process"
  echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  python3 - <<'PY'
import json, os
rows = {}
names = ["podmark-first", "mutagen-first", "ffmpeg-first", "podmark-rewrite", "mutagen-rewrite", "ffmpeg-rewrite", "podmark-unchanged"]
if os.environ.get("nosync"):
    names += ["podmark-first-nosync", "podmark-rewrite-nosync"]
for name in names:
    r = json.load(open(name + ".json"))["results"][0]
    rows[name] = (r["mean"] * 1000, r["stddev"] * 1000, r["median"] * 1000)
for name, (mean, sd, median) in rows.items():
    print(f"{name:18} {mean:9.1f} ms ± {sd:6.1f}  (median {median:.1f} ms)")
for kind in ["first", "rewrite"]:
    p = rows["podmark-" + kind][0]
    print(f"{kind:8}: mutagen / podmark = {rows['mutagen-' + kind][0] / p:6.1f}x, ffmpeg / podmark = {rows['ffmpeg-' + kind][0] / p:6.1f}x")
    if "podmark-" + kind + "-nosync" in rows:
        q = rows["podmark-" + kind + "-nosync"][0]
        print(f"{kind:8}: without fsync: mutagen / podmark = {rows['mutagen-' + kind][0] / q:6.1f}x, ffmpeg / podmark = {rows['ffmpeg-' + kind][0] / q:6.1f}x")
PY
  cp long.mp3 work.mp3
  echo "peak RSS, 60 min: podmark first $(rss "$podmark" tag work.mp3 --chapters a.txt) MiB, re-write $(rss "$podmark" tag work.mp3 --chapters b.txt) MiB"
  cp long.mp3 work.mp3
  echo "peak RSS, 60 min: mutagen first $(rss python3 mutagen_tag.py work.mp3 a.txt) MiB, re-write $(rss python3 mutagen_tag.py work.mp3 b.txt) MiB"
  echo "peak RSS, 60 min: ffmpeg remux $(rss ffmpeg -nostdin -v error -y -i long.mp3 -i a.ffmeta -map 0 -map_chapters 1 -c copy out.mp3) MiB"
  cp huge.mp3 work.mp3
  echo "1 GB file ($(stat -c %s huge.mp3) bytes):"
  echo "  podmark first write: $(rss "$podmark" tag work.mp3 --chapters a.txt) MiB, re-write: $(rss "$podmark" tag work.mp3 --chapters b.txt) MiB"
  cp huge.mp3 work.mp3
  echo "  mutagen first write: $(rss python3 mutagen_tag.py work.mp3 a.txt) MiB"
  echo "  ffmpeg remux: $(rss ffmpeg -nostdin -v error -y -i huge.mp3 -i a.ffmeta -map 0 -map_chapters 1 -c copy out.mp3) MiB"
} | tee results.txt
rm -f work.mp3 out.mp3 rss.txt
