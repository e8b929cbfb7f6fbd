#!/bin/bash
# Fault injection for `podmark new` and `podmark add` (needs strace): each run fails one system
# call (ENOSPC on the k-th mkdir, openat, copy_file_range, write, fsync or rename) and then checks
# that the show is either complete (exit 0) or exactly as before (non-zero exit): never half made.
# Usage: scripts/fault-inject-new-add.sh [path/to/podmark]   (default target/debug/podmark)
set -u
P=$(realpath "${1:-target/debug/podmark}")
FIX=$(realpath tests/fixtures/audio/mp3-cbr-44k-stereo-lame.mp3)
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
cd "$W"
"$P" new ref >/dev/null
cp "$FIX" a.mp3 && printf '00:00 Intro\n00:00.600 Middle\n' > ch.txt && "$P" tag a.mp3 --chapters ch.txt >/dev/null
inject() { strace -f -qq -o /dev/null -e trace="$1" -e inject="$1":error=ENOSPC:when="$2" "${@:3}"; }

runs=0; ok=0; clean=0; bad=0
for pre in absent empty; do
  for sc in mkdir openat write fsync; do
    for k in 1 2 3 4 5 6 8 10 15; do
      runs=$((runs+1)); rm -rf show; [ $pre == empty ] && mkdir show
      inject $sc $k "$P" new show >/dev/null 2>&1; rc=$?
      if [ $rc -eq 0 ]; then
        if [ -f show/episodes/podcast.toml ] && [ -f show/README.md ] && [ -f show/.gitignore ] \
          && cmp -s show/episodes/cover.png ref/episodes/cover.png; then ok=$((ok+1)); else bad=$((bad+1)); echo "BAD: new, $sc #$k: exit 0, show incomplete"; fi
      elif { [ $pre == absent ] && [ ! -e show ]; } || { [ $pre == empty ] && [ -z "$(ls -A show)" ]; }; then
        clean=$((clean+1))
      else
        bad=$((bad+1)); echo "BAD: new ($pre), $sc #$k: exit $rc, left:"; find show
      fi
    done
  done
done
echo "podmark new: runs=$runs complete=$ok untouched=$clean bad=$bad"

rm -rf show && "$P" new show >/dev/null && cd show
before=$(ls -A episodes | sort | tr '\n' ' ')
runs=0; ok=0; clean=0; bad=0
for sc in mkdir copy_file_range fsync write rename openat; do
  for k in 1 2 3 4 5 6 8 10 15 20; do
    runs=$((runs+1))
    inject $sc $k "$P" add ../a.mp3 >/dev/null 2>&1; rc=$?
    now=$(ls -A episodes | sort | tr '\n' ' ')
    if [ $rc -eq 0 ]; then
      d=$(ls -d episodes/001-*)
      if [ -f "$d/episode.md" ] && cmp -s "$d/episode.mp3" ../a.mp3; then ok=$((ok+1)); else bad=$((bad+1)); echo "BAD: add, $sc #$k: exit 0, episode incomplete"; fi
      rm -rf episodes/001-*
    elif [ "$now" == "$before" ]; then
      clean=$((clean+1))
    else
      bad=$((bad+1)); echo "BAD: add, $sc #$k: exit $rc, left: $now"; rm -rf episodes/001-* episodes/.podmark-*
    fi
  done
done
echo "podmark add: runs=$runs complete=$ok untouched=$clean bad=$bad"
[ $bad -eq 0 ]
