#!/usr/bin/env bash
# Trains a tiny zoo and three tiny pairings (each evaluated) into OUTDIR and writes OUTDIR/manifest.txt:
# SHA-256 of every weight file, tokenizer and sample log, every training step's log line without its
# timings, and each result's key, scores and final losses. Two trees that compute the same give the
# same manifest; a restructuring is checked with
#   bench/bits_manifest.sh /tmp/before   (on the old tree)
#   bench/bits_manifest.sh /tmp/after    (on the new tree)
#   diff /tmp/before/manifest.txt /tmp/after/manifest.txt
# About a minute and a half on two cores.
set -euo pipefail
O=$(realpath -m "${1:?usage: bench/bits_manifest.sh OUTDIR}")
rm -rf "$O"; mkdir -p "$O"
cd "$(dirname "$0")/.."
cli() { node bin/llava-more.js "$@"; }
cli zoo --preset tiny --out "$O/zoo" > "$O/zoo.log" 2>&1
train() { cli train --preset tiny --zoo "$O/zoo" --runs "$O/runs" --no-archive --eval "$@"; }
train > "$O/t1.log" 2>&1
train --llm gemma2-2b --tower siglip2 --resolution 1x+S2 > "$O/t2.log" 2>&1
train --llm phi4-mini-3.8b --tower dinov2-reg --resolution 0.75x --captions dense > "$O/t3.log" 2>&1
cd "$O"
{
  find . \( -name '*.safetensors' -o -name 'samples_*.jsonl' -o -name 'tokenizer.json' \) | sort | xargs sha256sum
  for f in $(find . -name 'log.jsonl' | sort); do
    echo "$f"
    node -e 'for (const l of require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n")) { const r = JSON.parse(l); delete r.seconds; delete r.tokens_per_second; console.log(JSON.stringify(r)); }' "$f" | sha256sum
  done
  for f in $(find runs -name 'result.json' | sort); do
    echo "$f"
    node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(r.key, JSON.stringify(r.eval?.headline ?? ""), r.stage1?.finalLoss, r.stage2?.finalLoss)' "$f"
  done
} > manifest.txt
echo "$O/manifest.txt: $(wc -l < manifest.txt) lines"
