"""Read a chapter file podmark wrote with a reader podmark did not write, and print the chapters
it saw as JSON: [{"start_ms": int, "title": str}, ...].

usage: python3 read_chapters.py vtt FILE.vtt          (webvtt-py)
       python3 read_chapters.py json SCHEMA FILE.json  (validated by jsonschema, then read)
"""
import json
import sys
from decimal import ROUND_HALF_UP, Decimal

kind = sys.argv[1]
if kind == "vtt":
    import webvtt

    out = []
    for cue in webvtt.read(sys.argv[2]):
        t = cue.start_time
        ms = ((t.hours * 60 + t.minutes) * 60 + t.seconds) * 1000 + t.milliseconds
        out.append({"start_ms": ms, "title": cue.text})
elif kind == "json":
    import jsonschema

    with open(sys.argv[2], encoding="utf-8") as f:
        schema = json.load(f)
    with open(sys.argv[3], encoding="utf-8") as f:
        # Keep the numbers exact, so the milliseconds are not rounded by a float.
        doc = json.load(f, parse_float=Decimal)
    checker = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(checker.iter_errors(json.loads(json.dumps(doc, default=float))), key=str)
    if errors:
        for e in errors:
            print(f"schema: {e.json_path}: {e.message}", file=sys.stderr)
        sys.exit(1)
    out = [
        {
            "start_ms": int((Decimal(c["startTime"]) * 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP)),
            "title": c.get("title"),
        }
        for c in doc["chapters"]
    ]
else:
    sys.exit(f"unknown kind {kind!r}")
print(json.dumps(out))
