#!/usr/bin/env bash
# bench/checkmem.sh — how much memory does 'keycycle check' take as the
# repository grows?
#
# Generates a nix-secrets-like repository of FILES files × RECIPIENTS age
# recipients (bench/gen), takes its first N files for each N of SCALES,
# and runs 'keycycle check --repo DIR --format json' on each in
# interleaved rounds (and BASE, another keycycle build, when set). Prints
# the median CPU time, the CPU per file, the largest peak RSS (the
# kernel's rusage, as GNU time -v reports it) and the RSS added per extra
# file. Goal (issue 14): ≤ 70 MiB at 10,000 files × 20 recipients, CPU
# linear in files.
#
# Environment: FILES (10000), RECIPIENTS (20), SCALES ("2500 5000 FILES"),
# RUNS (3), BASE (unset), WORK (a temporary folder), KEEP (0).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
FILES=${FILES:-10000}
RECIPIENTS=${RECIPIENTS:-20}
SCALES=${SCALES:-"2500 5000 $FILES"}
RUNS=${RUNS:-3}
WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/keycycle-checkmem.XXXXXX")}
mkdir -p "$WORK/bin"
if [ "${KEEP:-0}" != 1 ]; then trap 'rm -rf "$WORK"' EXIT; fi
say() { printf '%s\n' "$*" >&2; }

cd "$ROOT"
go build -o "$WORK/bin/keycycle" ./cmd/keycycle
go build -o "$WORK/bin/gen" ./bench/gen
go build -o "$WORK/bin/runstat" ./bench/runstat
full=$WORK/repo-$FILES
if [ ! -f "$full/.sops.yaml" ]; then
  say "generating $FILES files × $RECIPIENTS recipients (a few minutes)…"
  "$WORK/bin/gen" -q -dir "$full" -files "$FILES" -recipients "$RECIPIENTS"
fi
repo_of() { # N → the first N files of the full repository
  local dir=$WORK/repo-$1
  if [ ! -f "$dir/.sops.yaml" ]; then
    mkdir -p "$dir"
    cp "$full/.sops.yaml" "$dir/"
    (cd "$full" && find sops -name 'secrets-*.yaml' |
      awk -v n="$1" '{ m = $0; sub(/.*secrets-/, "", m); sub(/\.yaml$/, "", m); if (m + 0 <= n) print }' |
      tar -cf - -T - | tar -xf - -C "$dir")
  fi
  echo "$dir"
}
commands=(keycycle)
[ -n "${BASE:-}" ] && commands+=(base)
: > "$WORK/results"
for round in $(seq 0 "$RUNS"); do   # round 0 warms the caches, not counted
  for n in $SCALES; do
    dir=$(repo_of "$n")
    for cmd in "${commands[@]}"; do
      bin=$WORK/bin/keycycle; [ "$cmd" = base ] && bin=$BASE
      name="$cmd $n"; [ "$round" = 0 ] && name="warmup $n"
      "$WORK/bin/runstat" -n 1 -w 0 -raw -name "$name" -ok 0,1 -- "$bin" check --repo "$dir" --format json |
        tr '\t' ' ' >> "$WORK/results"
    done
  done
done
python3 - "$WORK/results" "$RECIPIENTS" <<'PY'
import sys, statistics as st
by = {}
for line in open(sys.argv[1]):
    cmd, n, wall, cpu, rss = line.split()
    if cmd != "warmup":
        by.setdefault((cmd, int(n)), []).append((float(cpu) * 1000, int(rss)))
print(f"check memory: files x {sys.argv[2]} recipients")
print(f"{'command':<10}{'files':>7}{'median CPU ms':>15}{'CPU us/file':>13}{'peak RSS MiB':>14}{'RSS KiB/extra file':>20}")
for cmd in sorted({c for c, _ in by}):
    prev = None
    for n in sorted(k for c, k in by if c == cmd):
        cpu = st.median(r[0] for r in by[(cmd, n)])
        rss = max(r[1] for r in by[(cmd, n)])
        slope = f"{(rss - prev[1]) / (n - prev[0]):.2f}" if prev else "-"
        print(f"{cmd:<10}{n:>7}{cpu:>15.0f}{cpu * 1000 / n:>13.0f}{rss / 1024:>14.1f}{slope:>20}")
        prev = (n, rss)
PY
