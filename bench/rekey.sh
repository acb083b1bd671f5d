#!/usr/bin/env bash
# bench/rekey.sh — how fast is 'keycycle rekey' against the floor of the
# work, against another keycycle build, and against the loop people run?
#
# Generates a nix-secrets-like repository (FILES files × RECIPIENTS age
# recipients, bench/gen), then, from the same starting state each time:
#   add      the rules gain one recipient (the 20 stanzas stay, one wrap)
#   remove   the rules drop one recipient (a new data key, 19 wraps)
# and times, in interleaved rounds (every command once per round, so load
# from elsewhere hits them alike), each as a whole process:
#   keycycle   this tree's build:  keycycle rekey --repo DIR -j NPROC
#   base       BASE=/path/to/keycycle, another build (e.g. main's), if set
#   floor      bench/floor: per file, read, unwrap once, wrap once (add) or
#              19 times (remove), durable write of the same bytes (temp,
#              fsync, rename, one folder sync per folder), on NPROC cores
#   loop       for f; do sops updatekeys -y $f; done   (add), and
#              sops updatekeys -y $f && sops rotate -i $f (remove), only
#              when LOOP_RUNS > 0 (slow: two processes per file)
# Wall time, CPU time (user+sys) and peak RSS come from the kernel's
# rusage (bench/runstat). Prints medians and the ratios: keycycle/floor in
# CPU (goal: add ≤ 2.5×, remove ≤ 1.8×) and base/keycycle (goal: add ≥ 3×).
#
# Environment: FILES (2000), RECIPIENTS (20), RUNS (5), LOOP_RUNS (0),
# MODES ("add remove"), BASE (unset), WORK (a temporary folder), KEEP (0:
# remove WORK at exit).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
FILES=${FILES:-2000}
RECIPIENTS=${RECIPIENTS:-20}
RUNS=${RUNS:-5}
LOOP_RUNS=${LOOP_RUNS:-0}
MODES=${MODES:-add remove}
NPROC=$(nproc)
WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/keycycle-rekey-bench.XXXXXX")}
mkdir -p "$WORK/bin"
if [ "${KEEP:-0}" != 1 ]; then trap 'rm -rf "$WORK"' EXIT; fi
say() { printf '%s\n' "$*" >&2; }

cd "$ROOT"
say "building keycycle and the bench tools…"
go build -o "$WORK/bin/keycycle" ./cmd/keycycle
go build -o "$WORK/bin/gen" ./bench/gen
go build -o "$WORK/bin/runstat" ./bench/runstat
go build -o "$WORK/bin/floor" ./bench/floor
KC=$WORK/bin/keycycle

base=$WORK/base
if [ ! -d "$base" ]; then
  say "generating $FILES files × $RECIPIENTS recipients…"
  "$WORK/bin/gen" -dir "$base" -files "$FILES" -recipients "$RECIPIENTS" -q
fi
export SOPS_AGE_KEY_FILE=$base/identities   # every identity of the repository
[ -f "$SOPS_AGE_KEY_FILE" ] || { say "no identities file in $base"; exit 2; }
SOPS=
if [ "$LOOP_RUNS" -gt 0 ]; then SOPS=$(go tool -n sops); fi   # before HOME moves: go's caches live there
export HOME=$WORK/home; mkdir -p "$HOME"

# The two starting states: a recipient added to every rule, and one dropped.
rm -f "$WORK/new.key"
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

drifts() { "$KC" check --repo "$1" --format json | grep -q '"id": "KC10[2-4]"'; }

commands=(keycycle floor)
[ -n "${BASE:-}" ] && commands+=(base)
: > "$WORK/results"
for mode in $MODES; do
  for round in $(seq 0 "$RUNS"); do   # round 0 warms the caches, not counted
    for cmd in "${commands[@]}"; do
      prepare "$WORK/run" "$mode"
      name=$cmd-$mode; [ "$round" = 0 ] && name=warmup
      case $cmd in
        keycycle) measure "$name" "$KC" rekey --repo "$WORK/run" -j "$NPROC" ;;
        base)     measure "$name" "$BASE" rekey --repo "$WORK/run" -j "$NPROC" ;;
        floor)    measure "$name" "$WORK/bin/floor" -repo "$WORK/run" -identities "$SOPS_AGE_KEY_FILE" -mode "$mode" -j "$NPROC" ;;
      esac
      if [ "$cmd" != floor ] && drifts "$WORK/run"; then
        say "$cmd: files still drift after rekey ($mode)"; exit 1
      fi
    done
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

python3 - "$WORK/results" "$FILES" "$RECIPIENTS" "$NPROC" <<'PY'
import sys, statistics as st
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
files, recips, nproc = sys.argv[2], sys.argv[3], sys.argv[4]
by = {}
for name, wall, cpu, rss in rows:
    if name != "warmup":
        by.setdefault(name, []).append((float(wall) * 1000, float(cpu) * 1000, int(rss)))
med = lambda name, i: st.median(r[i] for r in by[name])
print(f"rekey benchmark: {files} files x {recips} recipients, {nproc} cores, runs per command: {len(by.get('keycycle-add', []))}")
print(f"{'command':<16}{'median wall ms':>16}{'median CPU ms':>15}{'peak RSS MiB':>14}")
for name in sorted(by):
    print(f"{name:<16}{med(name, 0):>16.0f}{med(name, 1):>15.0f}{max(r[2] for r in by[name]) / 1024:>14.1f}")
for mode in ("add", "remove"):
    kc = f"keycycle-{mode}"
    if kc not in by:
        continue
    out = [f"{mode}: keycycle/floor CPU {med(kc, 1) / med('floor-' + mode, 1):.2f}x, wall {med(kc, 0) / med('floor-' + mode, 0):.2f}x"]
    if f"base-{mode}" in by:
        b = f"base-{mode}"
        out.append(f"base/keycycle CPU {med(b, 1) / med(kc, 1):.2f}x, wall {med(b, 0) / med(kc, 0):.2f}x")
    if f"loop-{mode}" in by:
        out.append(f"loop/keycycle wall {med('loop-' + mode, 0) / med(kc, 0):.1f}x")
    print("; ".join(out))
PY
