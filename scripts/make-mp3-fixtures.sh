#!/usr/bin/env bash
# Makes the tiny MP3 fixtures of tests/tag_mp3.rs in tests/fixtures/mp3/ (a few KB each).
# Needs ffmpeg (libmp3lame). Deterministic: bitexact flags, no encoder version strings.
set -euo pipefail
cd "$(dirname "$0")/.."
out=tests/fixtures/mp3
mkdir -p "$out"
ff() { ffmpeg -nostdin -v error -y "$@"; }
sine="sine=frequency=440:duration=3:sample_rate=16000"
enc=(-ac 1 -ar 16000 -c:a libmp3lame -b:a 8k -fflags +bitexact -flags:a +bitexact)

# 3 s of mono MPEG-2 Layer III with a Xing/Info + LAME header (exact duration), no ID3 tag.
ff -f lavfi -i "$sine" "${enc[@]}" -id3v2_version 0 "$out/lame-info.mp3"
# The same without Xing header: plain CBR frames that can be repeated to make a longer file.
ff -f lavfi -i "$sine" "${enc[@]}" -id3v2_version 0 -write_xing 0 "$out/noxing.mp3"

# FFmpeg's own ID3v2.4 chapters: FFmpeg writes CHAP/CTOC sizes as plain integers in v2.4, which
# differ from synchsafe ones once a frame passes 127 bytes (the second title is 150 characters).
long=$(printf 'L%.0s' $(seq 150))
cat > "$out/ffmpeg-chapters.ffmeta" <<META
;FFMETADATA1
title=Fixture episode
artist=podmark tests

[CHAPTER]
TIMEBASE=1/1000
START=0
END=1000
title=First

[CHAPTER]
TIMEBASE=1/1000
START=1000
END=2000
title=$long

[CHAPTER]
TIMEBASE=1/1000
START=2000
END=3000
title=Third
META
ff -f lavfi -i "$sine" -i "$out/ffmpeg-chapters.ffmeta" -map 0 -map_metadata 1 -map_chapters 1 \
  "${enc[@]}" -id3v2_version 4 "$out/ffmpeg-v24-chapters.mp3"
rm "$out/ffmpeg-chapters.ffmeta"

# Images: a cover for other taggers, a chapter image for podmark.
ff -f lavfi -i "color=c=red:s=16x16" -frames:v 1 -fflags +bitexact "$out/cover.jpg"
ff -f lavfi -i "color=c=blue:s=16x16" -frames:v 1 -fflags +bitexact "$out/chapter.png"
ls -l "$out"
