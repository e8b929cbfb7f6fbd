#!/usr/bin/env python3
"""Generate a podcast of N episodes for the build benchmark (never committed).

usage: bench_build_gen.py OUT_DIR N AUDIO
Each episode: front matter, a paragraph of notes, 4 chapter lines at least 2 s apart (so the build has
nothing to warn about), and a hard link to AUDIO (the script makes a 10 s MP3 once).
"""
import os
import sys

out, n, audio = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "podcast.toml"), "w") as f:
    f.write('title = "Bench Show"\nauthor = "Bench"\ndescription = "A large back catalogue."\n'
            'language = "en"\nbase_url = "https://bench.example/"\n[category]\nname = "Technology"\n')
for i in range(1, n + 1):
    d = os.path.join(out, f"{i:05d}-episode")
    os.makedirs(d, exist_ok=True)
    a = os.path.join(d, "audio.mp3")
    if not os.path.exists(a):
        os.link(audio, a)
    day = 1 + (i % 28)
    month = 1 + (i // 28) % 12
    year = 2000 + i // 336
    with open(os.path.join(d, "episode.md"), "w") as f:
        f.write(f'+++\ntitle = "Episode {i}: a title"\nepisode = {i}\ndate = {year}-{month:02}-{day:02}T10:00:00+00:00\n'
                f'audio = "audio.mp3"\nsummary = "Summary of episode {i}."\n+++\n'
                f"In episode {i} we talk about *things* and [links](https://example.com/{i}).\n\n"
                "- 00:00 Intro\n- 00:02 Topic one\n- 00:05 Topic two\n- 00:08 Outro\n")
