#!/usr/bin/env bash
# Starts a local S3-compatible server (moto's, from PyPI; the one the tests use) on 127.0.0.1, creates
# a bucket, and prints the environment for `podmark publish`. State lives in memory only.
#
# Usage: scripts/start-s3.sh [PORT] [BUCKET]          (defaults 5000 and podcasts)
# Stop:  kill "$(cat target/moto-s3.pid)"
set -euo pipefail
cd "$(dirname "$0")/.."
port=${1:-5000}
bucket=${2:-podcasts}

if [ ! -x .venv/bin/moto_server ]; then
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r .ci/requirements.txt
fi
mkdir -p target
.venv/bin/moto_server -H 127.0.0.1 -p "$port" > target/moto-s3.log 2>&1 &
echo $! > target/moto-s3.pid
for _ in $(seq 1 200); do
  curl -s -o /dev/null "http://127.0.0.1:$port/moto-api/" && break
  sleep 0.05
done
curl -sf -o /dev/null -X PUT "http://127.0.0.1:$port/$bucket"
cat <<MSG
moto S3 server on http://127.0.0.1:$port (PID $(cat target/moto-s3.pid), log target/moto-s3.log), bucket "$bucket".

  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1
  podmark publish feed --to s3://$bucket/show --endpoint http://127.0.0.1:$port

Objects are private, as on AWS: read them back signed, e.g.
  curl --aws-sigv4 aws:amz:us-east-1:s3 --user test:test http://127.0.0.1:$port/$bucket/show/feed.xml

Stop it with: kill \$(cat target/moto-s3.pid)
MSG
