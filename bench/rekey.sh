#!/usr/bin/env bash
# bench/rekey.sh — how fast is 'keycycle rekey' against the loop people run
# today, and against the floor of the work?
#
# Generates a nix-secrets-like repository (FILES files × RECIPIENTS age
# recipients, bench/gen), then from the same starting state:
#   add      the rules gain one recipient:
#              keycycle rekey                       (stanzas of the 20 kept)
#              for f; do sops updatekeys -y $f; done
#   remove   the rules drop one recipient (a new data key is due):
#              keycycle rekey                       (new data key, 19 wraps)
#              for f; do sops updatekeys -y $f && sops rotate -i $f; done
# and the floor, from Go benchmarks on the same machine (BenchmarkFloorAdd,
# BenchmarkFloorRemove: unwrap once, wrap for each new recipient, durable
# write of the same bytes), scaled to FILES files on all cores.
# Prints wall times, peak RSS, and the ratios. Goals (issue): add ≥ 100×
# faster than the loop, remove ≥ 15× faster, both ≤ 1.5× their floor.
#
# Environment: FILES (500), RECIPIENTS (20), RUNS (3) keycycle runs,
# LOOP_RUNS (1) loop runs (0: skip the slow loops), WORK, KEEP (0).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
FILES=${FILES:-500}
RECIPIENTS=${RECIPIENTS:-20}
RUNS=${RUNS:-3}
LOOP_RUNS=${LOOP_RUNS:-1}
NPROC=$(nproc)
WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/keycycle-rekey-bench.XXXXXX")}
mkdir -p "$WORK/bin"
if [ "${KEEP:-0}" != 1 ]; then trap 'rm -rf "$WORK"' EXIT; fi
say() { printf '%s\n' "$*" >&2; }

cd "$ROOT"
say "building keycycle, bench tools and sops…"
go build -o "$WORK/bin/keycycle" ./cmd/keycycle
go build -o "$WORK/bin/gen" ./bench/gen
go build -o "$WORK/bin/runstat" ./bench/runstat
SOPS=$(go tool -n sops)
KC=$WORK/bin/keycycle

base=$WORK/base
if [ ! -d "$base" ]; then
  say "generating $FILES files × $RECIPIENTS recipients…"
  "$WORK/bin/gen" -dir "$base" -files "$FILES" -recipients "$RECIPIENTS" -q
fi
export SOPS_AGE_KEY_FILE=$base/identities   # every identity of the repository
[ -f "$SOPS_AGE_KEY_FILE" ] || { say "no identities file in $base"; exit 2; }
export HOME=$WORK/home; mkdir -p "$HOME"

# The two starting states: a recipient added to every rule, and one dropped.
new=$("$KC" keygen -o "$WORK/new.key" 2>/dev/null)
prepare() { # prepare DIR add|remove
  rm -rf "$1"; cp -a "$base" "$1"
  if [ "$2" = add ]; then
    sed -i -e "s|^\(    - &admin .*\)$|\1\n    - \&benchnew $new|" \
           -e 's|^\(          - \*admin\)$|\1\n          - *benchnew|' "$1/.sops.yaml"
  else
    sed -i -e '/^          - \*backup$/d' "$1/.sops.yaml"
  fi
}

measure() { # measure NAME CMD… → appends "NAME wall_s cpu_s rss_kib" to $WORK/results
  local name=$1; shift
  "$WORK/bin/runstat" -n 1 -w 0 -raw -name "$name" -ok 0,1 -- "$@" >> "$WORK/results"
}

: > "$WORK/results"
for mode in add remove; do
  for i in $(seq "$RUNS"); do
    prepare "$WORK/run" "$mode"
    measure "keycycle-$mode" "$KC" rekey --repo "$WORK/run" -j "$NPROC"
    if "$KC" check --repo "$WORK/run" --format json | grep -q '"id": "KC10[2-4]"'; then
      say "files still drift after rekey"; exit 1
    fi
  done
  for i in $(seq "$LOOP_RUNS"); do
    prepare "$WORK/run" "$mode"
    if [ "$mode" = add ]; then
      loop='cd "$1" && for f in $(find sops -name "*.yaml" | sort); do "$2" updatekeys -y "$f" 2>/dev/null; done'
    else
      loop='cd "$1" && for f in $(find sops -name "*.yaml" | sort); do "$2" updatekeys -y "$f" 2>/dev/null && "$2" rotate -i "$f"; done'
    fi
    measure "loop-$mode" bash -c "$loop" _ "$WORK/run" "$SOPS"
  done
done

say "floor: go test -bench Floor…"
floor=$(cd "$ROOT" && go test -vet=off ./internal/sopsfile -run '^$' -bench 'Floor(Add|Remove)$' -benchtime 300x -cpu 1 2>/dev/null | awk '/^BenchmarkFloor/ {print $1, $3}')

python3 - "$WORK/results" "$FILES" "$NPROC" "$floor" <<'PY'
import sys, statistics
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
files, nproc = int(sys.argv[2]), int(sys.argv[3])
floor = {}
for line in sys.argv[4].splitlines():
    name, ns = line.split()
    floor["add" if "Add" in name else "remove"] = float(ns) * files / nproc / 1e6
by = {}
for name, wall, cpu, rss in rows:
    by.setdefault(name, []).append((float(wall) * 1000, int(rss)))
print(f"rekey benchmark: {files} files x recipients, {nproc} cores")
print(f"{'command':<18}{'best ms':>10}{'median ms':>11}{'peak RSS MiB':>14}")
for name in sorted(by):
    walls = [w for w, _ in by[name]]
    print(f"{name:<18}{min(walls):>10.0f}{statistics.median(walls):>11.0f}{max(r for _, r in by[name])/1024:>14.1f}")
for mode in ("add", "remove"):
    kc = min(w for w, _ in by[f"keycycle-{mode}"])
    fl = floor.get(mode, float("nan"))
    line = f"{mode}: keycycle/floor = {kc/fl:.2f}x (floor {fl:.0f} ms on {nproc} cores)"
    if f"loop-{mode}" in by:
        loop = min(w for w, _ in by[f"loop-{mode}"])
        line += f"; loop/keycycle = {loop/kc:.1f}x faster"
    print(line)
PY
