#!/usr/bin/env bash
# Benchmark of `podmark publish` against `rclone sync` of the same folder to the same local S3 server
# (moto_server from .venv, see .ci/requirements.txt), side by side in one run:
#
#   1. a 1,000-object build folder (500 small MP3s, 499 chapter files and feed.xml): first upload,
#      then a no-change run (the target for podmark: under 1 s);
#   2. a few large objects (4 × 40 MiB audio, multipart): first upload.
#
# Each tool gets its own bucket on the same moto. Usage:
#
#   benches/publish.sh                  # uses target/release/podmark (built if missing)
#   PODMARK=target/debug/podmark benches/publish.sh
#   JOBS=8 RCLONE_TRANSFERS=8 benches/publish.sh
#
# Needs python3 with moto in .venv (`.ci/run` installs it) and rclone (Debian: apt-get install rclone).
# Timings are wall-clock seconds of one run each; moto is single-process Python, so this measures the
# clients' request pipelining against one local server, not a real uplink.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
podmark=${PODMARK:-$root/target/release/podmark}
jobs=${JOBS:-8}
transfers=${RCLONE_TRANSFERS:-$jobs}
python=${PYTHON:-$root/.venv/bin/python}

if [[ ! -x $podmark ]]; then
    (cd "$root" && cargo build --release --bin podmark)
fi
command -v rclone >/dev/null || { echo "rclone is not installed (apt-get install rclone)" >&2; exit 1; }
"$python" -c 'import moto' 2>/dev/null || { echo "moto is not installed in .venv (see .ci/run)" >&2; exit 1; }

work=$(mktemp -d)
moto_pid=
cleanup() {
    if [[ -n $moto_pid ]]; then kill "$moto_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
endpoint=http://127.0.0.1:$port
"$python" -m moto.server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 100); do
    curl -fs "$endpoint/moto-api/" >/dev/null 2>&1 && break
    sleep 0.1
done
for bucket in podmark-small rclone-small podmark-large rclone-large; do
    curl -fs -X PUT "$endpoint/$bucket" >/dev/null
done

# The build folders: what `podmark build` writes (audio, chapters, a feed with its self link and
# GUIDs), generated so the benchmark does not depend on the build's speed.
"$python" - "$work" <<'EOF'
import os, sys, random
work = sys.argv[1]
base = "https://cdn.example.com/show/"
def folder(name, episodes, size, chapters):
    d = os.path.join(work, name)
    os.makedirs(os.path.join(d, "audio"))
    os.makedirs(os.path.join(d, "chapters"))
    rng = random.Random(name)
    items = []
    for i in range(episodes):
        slug = f"{i:04d}-episode"
        with open(os.path.join(d, "audio", slug + ".mp3"), "wb") as f:
            f.write(rng.randbytes(size))
        if i < chapters:
            with open(os.path.join(d, "chapters", slug + ".json"), "w") as f:
                f.write('{"version":"1.2.0","chapters":[{"startTime":0,"title":"Intro %d"}]}' % i)
        items.append(
            f'<item><title>Episode {i}</title><guid isPermaLink="false">{slug}</guid>'
            f'<enclosure url="{base}audio/{slug}.mp3" length="{size}" type="audio/mpeg"/>'
            + (f'<podcast:chapters url="{base}chapters/{slug}.json" type="application/json+chapters"/>' if i < chapters else "")
            + "</item>\n")
    with open(os.path.join(d, "feed.xml"), "w") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
                'xmlns:podcast="https://podcastindex.org/namespace/1.0" xmlns:atom="http://www.w3.org/2005/Atom">'
                f'<channel><title>Bench</title><atom:link href="{base}feed.xml" rel="self" type="application/rss+xml"/>\n'
                + "".join(items) + "</channel></rss>\n")
folder("small", 500, 16 * 1024, 499)    # 500 + 499 + 1 = 1,000 objects, 8 MB
folder("large", 4, 40 * 1024 * 1024, 0) # 4 × 40 MiB + feed.xml
EOF

export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
export RCLONE_CONFIG=/dev/null RCLONE_CONFIG_MOTO_TYPE=s3 RCLONE_CONFIG_MOTO_PROVIDER=Other RCLONE_CONFIG_MOTO_ENDPOINT=$endpoint \
    RCLONE_CONFIG_MOTO_ACCESS_KEY_ID=test RCLONE_CONFIG_MOTO_SECRET_ACCESS_KEY=test \
    RCLONE_CONFIG_MOTO_REGION=us-east-1 RCLONE_CONFIG_MOTO_FORCE_PATH_STYLE=true

# Runs a command, prints its wall time in seconds.
timed() {
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >"$work/out.log" 2>&1 || { cat "$work/out.log" >&2; return 1; }
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}
objects() { env -u AWS_CA_BUNDLE rclone lsf -R --files-only "moto:$1" | wc -l; }

pm() { "$podmark" publish "$work/$1" --to "s3://$2/show" --endpoint "$endpoint" --jobs "$jobs" --quiet; }
# (rclone 1.60 fails to start with AWS_CA_BUNDLE set; plain HTTP to moto needs no CA.)
rc() { env -u AWS_CA_BUNDLE rclone sync "$work/$1" "moto:$2/show" --transfers "$transfers" "${@:3}"; }

echo "podmark publish --jobs $jobs vs rclone sync --transfers $transfers, moto on $endpoint ($(nproc) cores)"
printf '%-44s %10s %10s\n' "" "podmark" "rclone"
a=$(timed pm small podmark-small); b=$(timed rc small rclone-small)
printf '%-44s %9ss %9ss\n' "1,000 objects (8 MB), first upload" "$a" "$b"
echo "   objects in the buckets: podmark $(objects podmark-small) (with its manifest), rclone $(objects rclone-small)"
a=$(timed pm small podmark-small); b=$(timed rc small rclone-small)
printf '%-44s %9ss %9ss\n' "1,000 objects, no change" "$a" "$b"
b=$(timed rc small rclone-small --checksum)
printf '%-44s %10s %9ss\n' "1,000 objects, no change, rclone --checksum" "" "$b"
a=$(timed pm large podmark-large); b=$(timed rc large rclone-large)
printf '%-44s %9ss %9ss\n' "4 × 40 MiB (multipart), first upload" "$a" "$b"
a=$(timed pm large podmark-large); b=$(timed rc large rclone-large)
printf '%-44s %9ss %9ss\n' "4 × 40 MiB, no change" "$a" "$b"
