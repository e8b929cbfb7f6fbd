#!/usr/bin/env bash
# Generates the small audio fixtures in tests/fixtures/audio/ with ffmpeg's lavfi sources and writes
# tests/fixtures/audio/README.md: a table of the exact values tests/probe.rs asserts, measured here by
# independent means (decoded sample counts, `ffprobe -count_packets`, `ffprobe stream=duration_ts`).
#
# Deterministic: bit-exact flags, seeded noise, no metadata but the chapters. Regenerating with another
# ffmpeg/LAME version can change frame counts of the Xing-less MP3s and the M4A edit lists; rerun the
# script and update the expectations in tests/probe.rs from the README it writes.
#
# Usage: scripts/make-audio-fixtures.sh [OUT_DIR]   (default tests/fixtures/audio)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-tests/fixtures/audio}"
mkdir -p "$OUT"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

PY="${PY:-/work/main/.venv/bin/python}"   # a python with mutagen
[ -x "$PY" ] || PY=python3
D=1.234567   # seconds: sample counts are not round numbers at any rate
FF=(ffmpeg -hide_banner -loglevel error -nostdin -y)
BE=(-fflags +bitexact -flags:a +bitexact -map_metadata -1)
# Chapter fixtures: the chapters (with titles) and no other metadata come from the FFMETADATA input.
CH=(-fflags +bitexact -flags:a +bitexact -map 0 -map_metadata 1 -map_chapters 1)

sine() { echo "sine=frequency=440:duration=$D:sample_rate=$1"; }
noise() { echo "anoisesrc=color=pink:amplitude=0.3:duration=$D:sample_rate=$1:seed=42"; }

cat >"$TMP/chapters.ffmeta" <<'EOF'
;FFMETADATA1
[CHAPTER]
TIMEBASE=1/1000
START=0
END=400
title=Intro
[CHAPTER]
TIMEBASE=1/1000
START=400
END=1234
title=Main topic — “ü”
EOF

# input samples of a lavfi source: decode to raw and count
input_samples() { # SOURCE
  local bytes
  bytes=$("${FF[@]}" -f lavfi -i "$1" -ac 1 -f s16le - | wc -c)
  echo $((bytes / 2))
}
packets() { ffprobe -v error -select_streams a:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$1" | tr -d ',\n'; }
duration_ts() { ffprobe -v error -select_streams a:0 -show_entries stream=duration_ts -of csv=p=0 "$1" | tr -d ',\n'; }

ROWS=()
row() { ROWS+=("| \`$1\` | $2 | $3 | $4 | $5 | $6 |"); }

mp3() { # NAME SOURCE RATE CHANNELS LAME-ARGS... (with -write_xing 0 for Xing-less files)
  local name=$1 src=$2 rate=$3 ch=$4; shift 4
  "${FF[@]}" -f lavfi -i "$src" "${BE[@]}" -ac "$ch" -ar "$rate" -c:a libmp3lame "$@" "$OUT/$name"
}

# --- MP3 with Xing/Info + LAME tag: exact input sample count --------------------------------------
for spec in "mp3-cbr-44k-stereo-lame.mp3 sine 44100 2 -b:a 32k" \
            "mp3-vbr-44k-stereo-xing.mp3 noise 44100 2 -q:a 9" \
            "mp3-vbr-48k-mono-xing.mp3 noise 48000 1 -q:a 9" \
            "mp3-mpeg2-22k-mono-lame.mp3 sine 22050 1 -b:a 16k" \
            "mp3-mpeg25-8k-mono-lame.mp3 sine 8000 1 -b:a 8k"; do
  set -- $spec
  name=$1 kind=$2 rate=$3 ch=$4; shift 4
  mp3 "$name" "$($kind "$rate")" "$rate" "$ch" "$@"
  row "$name" "$rate" "$ch" "$(input_samples "$($kind "$rate")")" sample "input samples (LAME tag removes delay + padding)"
done

# --- MP3 without Xing: exact to the frame = packets x samples per frame --------------------------
for spec in "mp3-cbr-44k-stereo-noxing.mp3 sine 44100 2 1152 -b:a 32k" \
            "mp3-vbr-48k-mono-noxing.mp3 noise 48000 1 1152 -q:a 9" \
            "mp3-mpeg2-24k-stereo-noxing.mp3 noise 24000 2 576 -q:a 9" \
            "mp3-mpeg25-11k-mono-noxing.mp3 sine 11025 1 576 -b:a 8k"; do
  set -- $spec
  name=$1 kind=$2 rate=$3 ch=$4 spf=$5; shift 5
  mp3 "$name" "$($kind "$rate")" "$rate" "$ch" -write_xing 0 "$@"
  n=$(packets "$OUT/$name")
  row "$name" "$rate" "$ch" "$((n * spf))" frame "ffprobe -count_packets: $n frames x $spf"
done

# --- MP3 with ID3v2.3 chapters, garbage, two concatenated streams, APE and ID3v1 -----------------
"${FF[@]}" -f lavfi -i "$(sine 44100)" -i "$TMP/chapters.ffmeta" "${CH[@]}" -ac 1 \
  -c:a libmp3lame -b:a 32k -write_xing 0 -id3v2_version 3 "$TMP/a.mp3"
"${FF[@]}" -f lavfi -i "$(noise 44100)" "${BE[@]}" -ac 1 -c:a libmp3lame -b:a 32k -write_xing 0 -id3v2_version 0 \
  "$TMP/b.mp3"
na=$(packets "$TMP/a.mp3")
nb=$(packets "$TMP/b.mp3")
python3 - "$TMP/a.mp3" "$TMP/b.mp3" "$OUT/mp3-chapters-garbage-ape-id3v1.mp3" <<'EOF'
import struct, sys
a, b, out = (open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read(), sys.argv[3])
size = 10 + sum((a[6 + i] & 0x7f) << (7 * (3 - i)) for i in range(4))
junk1 = bytes([0xff, 0xfb, 0x00, 0x12]) + b'garbage!' * 95 + b'\x00'  # 765 bytes with a false sync
junk2 = b'\xff' * 1234
items = b''
for key, value in [(b'Title', b'APE title'), (b'Artist', b'podmark')]:
    items += struct.pack('<II', len(value), 0) + key + b'\x00' + value
footer = b'APETAGEX' + struct.pack('<IIII', 2000, len(items) + 32, 2, 0) + b'\x00' * 8
id3v1 = b'TAG' + b'ID3v1 title'.ljust(30, b'\x00') + b'\x00' * 94 + b'\xff'
open(out, 'wb').write(a[:size] + junk1 + a[size:] + junk2 + b + items + footer + id3v1)
EOF
row mp3-chapters-garbage-ape-id3v1.mp3 44100 1 "$(((na + nb) * 1152))" frame \
  "ffprobe -count_packets of the two parts: ($na + $nb) x 1152; 2 ID3 chapters"

# --- MPEG-1 layer II --------------------------------------------------------------------------------
"${FF[@]}" -f lavfi -i "$(sine 48000)" "${BE[@]}" -ac 1 -c:a mp2 -b:a 64k -f mp2 "$OUT/mp2-48k-mono.mp2"
row mp2-48k-mono.mp2 48000 1 "$(($(packets "$OUT/mp2-48k-mono.mp2") * 1152))" frame "ffprobe -count_packets x 1152"

# --- AAC in MP4: the edit list as ffprobe applies it -------------------------------------------------
"${FF[@]}" -f lavfi -i "$(sine 44100)" "${BE[@]}" -ac 2 -c:a aac -b:a 32k "$OUT/aac-44k-stereo.m4a"
row aac-44k-stereo.m4a 44100 2 "$(duration_ts "$OUT/aac-44k-stereo.m4a")" sample "ffprobe stream duration_ts (edit list)"
# FFmpeg 5.1 drops the chapter track when it writes +faststart directly, so remux to move the moov.
"${FF[@]}" -f lavfi -i "$(noise 48000)" -i "$TMP/chapters.ffmeta" "${CH[@]}" -ac 1 -c:a aac -b:a 24k "$TMP/ch.m4a"
"${FF[@]}" -i "$TMP/ch.m4a" -map 0:a -c copy -fflags +bitexact -movflags +faststart \
  "$OUT/aac-48k-mono-faststart-chapters.m4a"
row aac-48k-mono-faststart-chapters.m4a 48000 1 "$(duration_ts "$OUT/aac-48k-mono-faststart-chapters.m4a")" sample \
  "ffprobe stream duration_ts (edit list); moov first; 2 QuickTime chapters"
"${FF[@]}" -f lavfi -i "$(sine 22050)" "${BE[@]}" -ac 1 -c:a aac -b:a 16k -f mp4 "$OUT/aac-22k-mono.mp4"
row aac-22k-mono.mp4 22050 1 "$(duration_ts "$OUT/aac-22k-mono.mp4")" sample "ffprobe stream duration_ts; brand isom: audio/mp4"

# --- Ogg -----------------------------------------------------------------------------------------------
"${FF[@]}" -f lavfi -i "$(sine 48000)" -i "$TMP/chapters.ffmeta" "${CH[@]}" -ac 2 \
  -c:a libopus -b:a 16k "$OUT/opus-48k-stereo-chapters.opus"
row opus-48k-stereo-chapters.opus 48000 2 "$(input_samples "$(sine 48000)")" sample "input samples (granule - pre-skip); 2 chapters"
"${FF[@]}" -f lavfi -i "$(sine 44100)" "${BE[@]}" -ac 1 -c:a libvorbis -q:a 0 "$OUT/vorbis-44k-mono.ogg"
row vorbis-44k-mono.ogg 44100 1 "$(input_samples "$(sine 44100)")" sample "input samples (last granule)"

# --- FLAC and WAV ----------------------------------------------------------------------------------------
# (FFmpeg's FLAC muxer writes no chapters; FLAC chapters are covered by unit tests.)
"${FF[@]}" -f lavfi -i "$(sine 44100)" "${BE[@]}" -ac 2 -c:a flac -compression_level 8 "$OUT/flac-44k-stereo.flac"
row flac-44k-stereo.flac 44100 2 "$(input_samples "$(sine 44100)")" sample "input samples (STREAMINFO)"
"${FF[@]}" -f lavfi -i "$(sine 8000)" "${BE[@]}" -ac 1 -c:a pcm_u8 "$OUT/wav-8k-mono-u8.wav"
row wav-8k-mono-u8.wav 8000 1 "$(input_samples "$(sine 8000)")" sample "input samples (data chunk)"
"${FF[@]}" -f lavfi -i "$(sine 8000)" "${BE[@]}" -ac 1 -c:a pcm_u8 -rf64 always "$OUT/wav-rf64-8k-mono.wav"
row wav-rf64-8k-mono.wav 8000 1 "$(input_samples "$(sine 8000)")" sample "input samples (RF64 ds64)"
"${FF[@]}" -f lavfi -i "$(sine 8000)" "${BE[@]}" -ac 1 -c:a pcm_s24le "$OUT/wav-extensible-8k-s24.wav"
row wav-extensible-8k-s24.wav 8000 1 "$(input_samples "$(sine 8000)")" sample "input samples (WAVE_FORMAT_EXTENSIBLE)"

# --- Issue 10: what a file is, chapters in every container, durations that cannot lie ------------------
# Chapters as Vorbis comments in the CHAPTER001= / CHAPTER001NAME= form Auphonic writes (ffmpeg writes
# CHAPTER00=): added with mutagen. Ogg Vorbis gets ffmpeg's own chapters.
VC=(CHAPTER001=00:00:00.000 CHAPTER001NAME=Intro CHAPTER002=00:00:00.500 "CHAPTER002NAME=Main topic — “ü”")
# FLAC fixtures are 0.6 s at 8 kHz to stay small.
short() { echo "sine=frequency=440:duration=0.6:sample_rate=$1"; }
"${FF[@]}" -f lavfi -i "$(sine 44100)" "${BE[@]}" -ac 1 -c:a libvorbis -q:a 0 "$OUT/vorbis-44k-mono-chapters.ogg"
"${FF[@]}" -f lavfi -i "$(short 8000)" "${BE[@]}" -ac 1 -c:a flac -frame_size 576 "$TMP/plain.flac"
"${FF[@]}" -f lavfi -i "$(sine 48000)" "${BE[@]}" -ac 1 -c:a libopus -b:a 12k "$OUT/opus-48k-mono-vorbis-chapters.opus"
"$PY" - "$OUT" "$TMP/plain.flac" "${VC[@]}" <<'PYEOF'
import sys
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.flac import FLAC, CueSheet, CueSheetTrack, CueSheetTrackIndex
out, plain, comments = sys.argv[1], sys.argv[2], sys.argv[3:]
pairs = [c.split('=', 1) for c in comments]
no_padding = lambda info: 0  # ffmpeg leaves 8 KiB of padding: drop it to keep the fixtures small
FLAC(plain).save(padding=no_padding)
import shutil
shutil.copy(plain, f'{out}/flac-8k-mono-chapters.flac')
shutil.copy(plain, f'{out}/flac-8k-mono-cuesheet.flac')
for path, kind in [(f'{out}/opus-48k-mono-vorbis-chapters.opus', OggOpus), (f'{out}/vorbis-44k-mono-chapters.ogg', OggVorbis),
                   (f'{out}/flac-8k-mono-chapters.flac', FLAC)]:
    f = kind(path)
    for k, v in pairs:
        f[k] = v
    f.save(padding=no_padding)
f = FLAC(f'{out}/flac-8k-mono-cuesheet.flac')
cs = CueSheet(None)
cs.media_catalog_number = b''
cs.lead_in_samples = 0
cs.compact_disc = False
for number, start in [(1, 0), (2, 4000)]:   # samples at 8 kHz: 0 s and 0.5 s
    t = CueSheetTrack(number, start)
    t.indexes.append(CueSheetTrackIndex(1, 0))
    cs.tracks.append(t)
cs.tracks.append(CueSheetTrack(255, 4800))  # lead-out
f.metadata_blocks.append(cs)
f.save(padding=no_padding)
# An ID3v2.3 tag (TIT2) in front of a FLAC file, as some taggers leave it.
body = b'TIT2' + (12).to_bytes(4, 'big') + b'\x00\x00' + b'\x00ID3 on FLAC' + b'\x00' * 64
tag = b'ID3\x03\x00\x00' + bytes((len(body) >> s) & 0x7f for s in (21, 14, 7, 0)) + body
open(f'{out}/flac-8k-mono-id3v2-prefix.flac', 'wb').write(tag + open(plain, 'rb').read())
PYEOF
row vorbis-44k-mono-chapters.ogg 44100 1 "$(input_samples "$(sine 44100)")" sample "input samples (last granule); 2 CHAPTER001= chapters"
row opus-48k-mono-vorbis-chapters.opus 48000 1 "$(input_samples "$(sine 48000)")" sample "input samples (granule - pre-skip); 2 CHAPTER001= chapters"
row flac-8k-mono-chapters.flac 8000 1 "$(input_samples "$(short 8000)")" sample "input samples (STREAMINFO); 2 CHAPTER001= chapters"
row flac-8k-mono-cuesheet.flac 8000 1 "$(input_samples "$(short 8000)")" sample "input samples (STREAMINFO); CUESHEET with 2 tracks"
row flac-8k-mono-id3v2-prefix.flac 8000 1 "$(input_samples "$(short 8000)")" sample "input samples (STREAMINFO) behind an ID3v2.3 tag"
# A FLAC file cut to its first 1200 bytes: STREAMINFO still claims every sample.
head -c 1200 "$TMP/plain.flac" >"$OUT/truncated-audio.flac"
# MP3 with 300 bytes of junk (starting with a false frame sync) before the first frame, no ID3 tag.
"${FF[@]}" -f lavfi -i "$(sine 44100)" "${BE[@]}" -ac 1 -c:a libmp3lame -b:a 32k -write_xing 0 -id3v2_version 0 \
  "$TMP/raw.mp3"
{ printf '\xff\xfb\x90\x00'; head -c 296 /dev/zero | tr '\0' 'J'; cat "$TMP/raw.mp3"; } >"$OUT/mp3-junk-before-first-frame.mp3"
row mp3-junk-before-first-frame.mp3 44100 1 "$(($(packets "$TMP/raw.mp3") * 1152))" frame "ffprobe -count_packets of the MP3 after the junk x 1152"
# The same frames behind an ID3v2.2 tag (TT2), a version without chapter frames.
"$PY" - "$TMP/raw.mp3" "$OUT/mp3-id3v22.mp3" <<'PYEOF'
import sys
body = b'TT2' + (9).to_bytes(3, 'big') + b'\x00ID3v2.2!' + b'\x00' * 32
tag = b'ID3\x02\x00\x00' + bytes((len(body) >> s) & 0x7f for s in (21, 14, 7, 0)) + body
open(sys.argv[2], 'wb').write(tag + open(sys.argv[1], 'rb').read())
PYEOF
row mp3-id3v22.mp3 44100 1 "$(($(packets "$TMP/raw.mp3") * 1152))" frame "ffprobe -count_packets x 1152; ID3v2.2 tag"
# Not MPEG audio: 4 KB of zeros, one MPEG frame (128 kbit/s, 417 bytes), 4 KB of zeros.
"$PY" - "$OUT/zeros-one-mpeg-frame.mp3" <<'PYEOF'
import sys
frame = b'\xff\xfb\x90\x00' + b'\x55' * 413
open(sys.argv[1], 'wb').write(b'\x00' * 4096 + frame + b'\x00' * 4096)
PYEOF
# Matroska audio (PCM noise) whose payload holds frame-sync-like bytes (FF Ex).
"${FF[@]}" -f lavfi -i "anoisesrc=color=white:amplitude=1:duration=0.25:sample_rate=8000:seed=7" "${BE[@]}" \
  -ac 1 -c:a pcm_s16le -f matroska "$OUT/matroska-stray-sync.mka"
"$PY" - "$OUT/matroska-stray-sync.mka" <<'PYEOF'
import sys
d = open(sys.argv[1], 'rb').read()
assert d[:4] == b'\x1a\x45\xdf\xa3' and any(d[i] == 0xff and d[i + 1] >= 0xe0 for i in range(len(d) - 1)), 'no stray sync'
PYEOF

# --- Files that must fail with a byte offset ---------------------------------------------------------------
printf 'This is a text file, not audio.\n' >"$OUT/not-audio.txt"
head -c 3000 "$OUT/aac-44k-stereo.m4a" >"$OUT/truncated-moov-at-end.m4a"
head -c 100 "$OUT/mp3-chapters-garbage-ape-id3v1.mp3" >"$OUT/truncated-id3.mp3"
{ printf 'fLaC\x00\x00\x00\x22'; head -c 20 /dev/zero; } >"$OUT/truncated-streaminfo.flac"

{
  echo "# Audio fixtures"
  echo
  echo "Generated by \`scripts/make-audio-fixtures.sh\` with $(ffmpeg -version | head -1 | cut -d' ' -f1-3)"
  echo "from lavfi sources of $D s (sine 440 Hz, or pink noise with seed 42 for VBR). Do not edit by hand."
  echo
  echo "\`samples\` is the exact value \`tests/probe.rs\` asserts; \`precision\` says whether it is exact to the"
  echo "sample or to the frame (no LAME tag: encoder delay and padding are unknown), and the last column how"
  echo "the value was measured independently of podmark."
  echo
  echo "| file | rate | channels | samples | precision | measured as |"
  echo "|---|---|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "Error fixtures: \`not-audio.txt\`, \`truncated-moov-at-end.m4a\` (first 3000 bytes: the moov is lost),"
  echo "\`truncated-id3.mp3\` (first 100 bytes: inside the ID3v2 tag), \`truncated-streaminfo.flac\`."
  echo
  echo "What-is-this-file fixtures: \`truncated-audio.flac\` (the first 1200 bytes of a FLAC file: STREAMINFO"
  echo "claims more than the bytes hold, so the duration is an estimate), \`zeros-one-mpeg-frame.mp3\` (one MPEG"
  echo "frame in zeros: not audio), \`matroska-stray-sync.mka\` (Matroska with \`FF Ex\` bytes inside: unsupported)."
} >"$OUT/README.md"
du -ch "$OUT"/* | tail -1
