#!/usr/bin/env bash
# Makes the MP4 fixtures of tests/tag_mp4.rs in tests/fixtures/mp4/ (committed; rerun only to change them).
#
#   short-{first,last}.{m4a,m4b}  12 s AAC (22.05 kHz mono) with ©nam, ©ART and a 16×16 covr image;
#                                 "first" = moov before mdat (faststart), "last" = moov after mdat.
#   short-ffmpeg-chapters.m4a     short-last.m4a with three chapters written by ffmpeg -map_chapters
#                                 (chpl v1 plus FFmpeg's chapter track, samples at the start of mdat).
#   seed-last.m4a, seed-first.m4b 51 minutes (long enough for the seed show notes' 13 chapters, the last
#                                 at 49:59.433): 8 kHz mono, silence with a short tone every 29.7 s, so the
#                                 file stays small but a misplaced chunk changes the packet md5.
#   auphonic-like.m4a, hindenburg-like.m4a, he-aac.m4a, damaged-rate.m4a, isom-brand.mp4
#                                 3 s of AAC rebuilt box by box by make_mp4_structures.py into the
#                                 structures of real files (chapter text + JPEG image tracks, two text
#                                 chapter tracks, HE-AAC signalling, a damaged time scale, brand isom).
#
# Deterministic: -fflags +bitexact -flags +bitexact; same ffmpeg version, same bytes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../tests/fixtures/mp4"

ff() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }
exact=(-fflags +bitexact -flags:a +bitexact -flags:v +bitexact)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ff -f lavfi -i "color=c=0x336699:s=16x16" -frames:v 1 -flags +bitexact -fflags +bitexact "$tmp/cover.jpg"
short_audio=(-f lavfi -i "sine=frequency=330:sample_rate=22050:duration=12")
meta=(-metadata title="Fixture title" -metadata artist="podmark fixtures")
for ext in m4a m4b; do
  brand=(); [ "$ext" = m4b ] && brand=(-brand "M4B ")
  ff "${short_audio[@]}" -i "$tmp/cover.jpg" -map 0:a -map 1:v -c:a aac -b:a 16k -ac 1 -c:v copy \
     -disposition:v:0 attached_pic "${meta[@]}" "${exact[@]}" "${brand[@]}" -f ipod "short-last.$ext"
  ff -i "short-last.$ext" -map 0 -c copy -movflags +faststart "${exact[@]}" "${brand[@]}" -f ipod "short-first.$ext"
done

cat > "$tmp/chapters.txt" <<'META'
;FFMETADATA1
[CHAPTER]
TIMEBASE=1/1000
START=0
END=4000
title=FFmpeg one
[CHAPTER]
TIMEBASE=1/1000
START=4000
END=8000
title=FFmpeg two
[CHAPTER]
TIMEBASE=1/1000
START=8000
END=12000
title=FFmpeg three
META
ff -i short-last.m4a -i "$tmp/chapters.txt" -map 0 -map_metadata 0 -map_chapters 1 -c copy "${exact[@]}" \
   -f ipod short-ffmpeg-chapters.m4a

tone="aevalsrc='if(lt(mod(t\,29.7)\,0.2)\,0.4*sin(2*PI*(300+mod(t\,97)*5)*t)\,0)':s=8000:d=3060"
ff -f lavfi -i "$tone" -ac 1 -c:a aac -b:a 8k -metadata title="Seed episode" "${exact[@]}" -f ipod seed-last.m4a
ff -i seed-last.m4a -map 0 -c copy -movflags +faststart "${exact[@]}" -brand "M4B " -f ipod seed-first.m4b

ff -f lavfi -i "sine=frequency=330:sample_rate=22050:duration=3" -c:a aac -b:a 16k -ac 1 "${exact[@]}" \
   -f ipod "$tmp/tiny.m4a"
python3 "$here/make_mp4_structures.py" "$tmp/tiny.m4a" "$tmp/cover.jpg" .

ls -l
