#!/usr/bin/env bash
# Makes episodes/020-containers-with-red-hat/episode.mp3: 52 minutes of mono speech-and-silence
# (espeak-ng speaks each chapter title at its start, silence between), 16 kHz, 8 kbit/s CBR with a
# Xing/LAME header (exact duration), about 3.1 MB. Then `podmark tag` embeds the chapters from
# episode.md. Needs espeak-ng, ffmpeg (libmp3lame) and cargo. Deterministic for the same tools.
set -euo pipefail
cd "$(dirname "$0")/.."
ep=episodes/020-containers-with-red-hat
out="$ep/episode.mp3"
duration=3120 # 52:00, past the last chapter (49:59.433)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet --bin podmark
podmark=target/release/podmark

# "HH:MM:SS.mmm Title" lines, exactly as podmark reads them from the show notes.
"$podmark" chapters convert "$ep/episode.md" --to text | grep -v '^#' > "$work/chapters.txt"

inputs=()
filters=""
mix=""
n=0
while read -r time title; do
  [ -n "$time" ] || continue
  espeak-ng -v en-us -s 165 -w "$work/$n.wav" "$title"
  ms=$(awk -F'[:.]' '{ printf "%d", (($1 * 60 + $2) * 60 + $3) * 1000 + $4 }' <<<"$time")
  inputs+=(-i "$work/$n.wav")
  filters+="[$n:a]aresample=16000,aformat=channel_layouts=mono,adelay=${ms}:all=1[c$n];"
  mix+="[c$n]"
  n=$((n + 1))
done < "$work/chapters.txt"
echo "speaking $n chapter titles"

ffmpeg -nostdin -v error -y "${inputs[@]}" \
  -filter_complex "${filters}${mix}amix=inputs=$n:normalize=0:duration=longest,apad=whole_dur=$duration,atrim=0:$duration[a]" \
  -map '[a]' -ac 1 -ar 16000 -c:a libmp3lame -b:a 8k -id3v2_version 0 -fflags +bitexact -flags:a +bitexact \
  "$work/episode.mp3"
mv "$work/episode.mp3" "$out"
"$podmark" tag "$out" --notes "$ep/episode.md"
"$podmark" probe "$out"
ls -l "$out"
