#!/usr/bin/env bash
# bench/check.sh — how fast is 'keycycle check' on a big secrets repository?
#
# Generates a nix-secrets-like repository (FILES files × RECIPIENTS age
# recipients, really encrypted with the sops library), then times on the
# same files:
#   keycycle     keycycle check --repo DIR --format json   (exit 0 or 1)
#   plain-1      bench/plainparse -jobs 1: walk + read + gopkg.in/yaml.v3
#                into any, single-threaded — the baseline of the goal
#   plain-N      the same with one goroutine per CPU, as keycycle reads
#   sops         the peer: 'sops updatekeys FILE…' in one process, which
#                for every file loads it through sops's YAML store, resolves
#                its creation rule and compares recipients (what check does
#                for drift); read-only here: no -y, no change to make
#   sops-P       the same split over nproc processes (xargs -P)
# and prints wall times (best and median of RUNS), CPU time, peak RSS, the
# ratios keycycle/plain and keycycle/sops, and the cost per file at several
# sizes, to show it is linear. Goal (docs/performance.md): keycycle ≤ 2×
# plain-1, cost linear in files.
#
# Runs are interleaved (each round runs every command at every size once) so
# that other load on the machine falls on all of them alike; CPU times (user+sys,
# from rusage) are reported beside wall times because they are the steadier
# figure on a busy machine.
#
# Environment:
#   FILES (2000), RECIPIENTS (20)  the repository; SCALES ("FILES/4 FILES/2
#                                  FILES") the sizes of the linearity table
#   RUNS (5), SOPS_RUNS (3)        measured rounds (sops is slow)
#   HYPERFINE (1)                  also run hyperfine on keycycle and the
#                                  plain parse at FILES files (apt-get
#                                  installs it when missing, as root); 0: never
#   FILESTATUS (0)                 N: also time 'sops filestatus' run once per
#                                  file over the first N files
#   KEYCYCLE                       a keycycle binary to time instead of
#                                  building ./cmd/keycycle (compare builds)
#   WORK, KEEP (0)                 the work folder (default: a new temporary
#                                  one) and whether to keep it; a kept WORK
#                                  is reused (same repository, new timings)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
FILES=${FILES:-2000}
RECIPIENTS=${RECIPIENTS:-20}
RUNS=${RUNS:-5}
SOPS_RUNS=${SOPS_RUNS:-3}
SCALES=${SCALES:-"$((FILES / 4)) $((FILES / 2)) $FILES"}
HYPERFINE=${HYPERFINE:-1}
FILESTATUS=${FILESTATUS:-0}
NPROC=$(nproc)
case " $SCALES " in *" $FILES "*) ;; *) SCALES="$SCALES $FILES" ;; esac

WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/keycycle-bench.XXXXXX")}
mkdir -p "$WORK"
if [ "${KEEP:-0}" != 1 ]; then
  trap 'rm -rf "$WORK"' EXIT
fi
BIN=$WORK/bin
mkdir -p "$BIN"

say() { printf '%s\n' "$*" >&2; }

# --- machine ------------------------------------------------------------
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || true)
mem=$(awk '/^MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo 2>/dev/null || true)
load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || true)
echo "machine: $NPROC CPUs ($cpu), $mem, load average $load, $(go version | cut -d' ' -f3-4)"
if awk -v l="${load%% *}" -v n="$NPROC" 'BEGIN { exit !(l > n) }'; then
  echo "warning: the load average is above the CPU count: other work shares the CPUs, wall times are inflated; CPU times are the steadier figure"
fi

# --- build ----------------------------------------------------------------
say "building keycycle and the helpers into $BIN"
if [ -n "${KEYCYCLE:-}" ]; then
  cp "$KEYCYCLE" "$BIN/keycycle"
else
  (cd "$ROOT" && go build -o "$BIN/keycycle" ./cmd/keycycle)
fi
(cd "$ROOT" && go build -o "$BIN/gen" ./bench/gen &&
  go build -o "$BIN/plainparse" ./bench/plainparse &&
  go build -o "$BIN/runstat" ./bench/runstat)
SOPS=$(cd "$ROOT" && go tool -n sops) # the tool dependency of go.mod, built if needed
echo "peer: sops $(cd "$ROOT" && go list -m -f '{{.Version}}' github.com/getsops/sops/v3) ($SOPS)"

# --- repositories ---------------------------------------------------------
# The biggest repository is generated once; the smaller ones are its first
# N files (same config, same keys), so only the file count changes.
max=$FILES
for n in $SCALES; do [ "$n" -gt "$max" ] && max=$n; done
FULL=$WORK/repo-${max}x$RECIPIENTS
if [ -f "$FULL/.sops.yaml" ]; then
  say "reusing $FULL (WORK given and kept from an earlier run)"
else
  say "generating $max files × $RECIPIENTS recipients in $FULL"
  gen_start=$(date +%s.%N)
  "$BIN/gen" -q -dir "$FULL" -files "$max" -recipients "$RECIPIENTS"
  gen_end=$(date +%s.%N)
  say "  generated in $(awk -v a="$gen_start" -v b="$gen_end" 'BEGIN{printf "%.1f", b-a}') s, $(du -sh "$FULL/sops" | cut -f1) of secrets files"
fi

repo_of() { # N → folder holding the first N files of the big repository
  local n=$1 dir=$WORK/repo-${1}x$RECIPIENTS
  if [ ! -d "$dir" ]; then
    mkdir -p "$dir"
    cp "$FULL/.sops.yaml" "$FULL/README.md" "$FULL/flake.nix" "$dir/"
    (cd "$FULL" && find sops -name 'secrets-*.yaml' |
      awk -v n="$n" '{ m = $0; sub(/.*secrets-/, "", m); sub(/\.yaml$/, "", m); if (m + 0 <= n) print }' |
      tar -cf - -T - | tar -xf - -C "$dir")
  fi
  echo "$dir"
}

# --- timing ---------------------------------------------------------------
# Runs are interleaved (round r runs every command at every size once), so
# that other load on the machine falls on all of them alike; round 0 is an
# unmeasured warm-up.
RESULTS=$WORK/results.tsv # size, name, wall s, CPU s, peak RSS KiB: one line per run
: >"$RESULTS"
once() { # SIZE NAME [runstat flags] -- COMMAND…   (one measured run)
  local size=$1 name=$2
  shift 2
  "$BIN/runstat" -raw -n 1 -w 0 -name "$name" "$@" | sed "s/^/$size\t/" >>"$RESULTS"
}
warm() { shift 2; "$BIN/runstat" -raw -n 1 -w 0 "$@" >/dev/null; }

sops_all() { # DIR [JOBS]: sops updatekeys over every secrets file, in JOBS processes
  local dir=$1 jobs=${2:-1} n
  n=$(find "$dir/sops" -name '*.yaml' | wc -l)
  echo "cd '$dir' && find sops -name '*.yaml' -print0 | sort -z | xargs -0 -P $jobs -n $(((n + jobs - 1) / jobs)) '$SOPS' updatekeys"
}

round() { # SIZE ROUND: every command once; ROUND 0 is the warm-up
  local n=$1 r=$2 dir run
  dir=$(repo_of "$n")
  run=once
  [ "$r" = 0 ] && run=warm
  $run "$n" keycycle -ok 0,1 -- "$BIN/keycycle" check --repo "$dir" --format json
  $run "$n" plain-1 -- "$BIN/plainparse" -repo "$dir" -jobs 1
  [ "$n" = "$FILES" ] || return 0
  $run "$n" plain-N -- "$BIN/plainparse" -repo "$dir" -jobs 0
  if [ "$r" -le "$SOPS_RUNS" ]; then
    $run "$n" sops -- sh -c "$(sops_all "$dir" 1)"
    $run "$n" sops-P -- sh -c "$(sops_all "$dir" "$NPROC")"
  fi
}

for r in $(seq 0 "$RUNS"); do
  say "round $r of $RUNS$([ "$r" = 0 ] && echo ' (warm-up)'): $SCALES files"
  for n in $SCALES; do round "$n" "$r"; done
done
if [ "$FILESTATUS" -gt 0 ]; then
  say "sops filestatus, one process per file, first $FILESTATUS files"
  dir=$(repo_of "$FILES")
  once "$FILESTATUS" sops-filestatus -- sh -c "cd '$dir' && find sops -name '*.yaml' | sort | head -n $FILESTATUS | while read -r f; do '$SOPS' filestatus \"\$f\" >/dev/null; done"
fi

# Sanity: what keycycle found, and that the plain parse saw the same files.
dir=$(repo_of "$FILES")
kc_files=$("$BIN/keycycle" check --repo "$dir" --format json | awk -F'[:,]' '/"files"/ {gsub(/ /, "", $2); print $2; exit}' || true)
pp_files=$("$BIN/plainparse" -repo "$dir" | awk '{print $1}')
echo "files: keycycle checked $kc_files, plain parse read $pp_files"

# --- report ---------------------------------------------------------------
awk -F'\t' -v files="$FILES" -v recipients="$RECIPIENTS" -v nproc="$NPROC" '
function ms(s) { return sprintf("%8.0f", s * 1000) }
function sortn(a, n,   i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t } }
function median(a, n) { sortn(a, n); return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
{ size = $1; name = $2; key = size SUBSEP name
  k = ++runs[key]; W[key, k] = $3; C[key, k] = $4
  if (!(key in rss) || $5 > rss[key]) rss[key] = $5
  if (!(key in best) || $3 < best[key]) best[key] = $3
  if (!(size in seen)) { seen[size] = 1; sizes[++ns] = size }
  if (name == "sops-filestatus") fs = key }
END {
  for (key in runs) { n = runs[key]
    for (i = 1; i <= n; i++) { w[i] = W[key, i]; c[i] = C[key, i] }
    med[key] = median(w, n); cpu[key] = median(c, n) }
  printf "\n%d files × %d recipients, %d CPUs (wall: best and median of the runs; CPU: user+sys, median)\n\n", files, recipients, nproc
  printf "%-16s %5s %10s %10s %10s %12s %14s\n", "command", "runs", "best ms", "median ms", "CPU ms", "peak RSS MiB", "median µs/file"
  split("keycycle plain-1 plain-N sops sops-P", order, " ")
  for (i = 1; i <= 5; i++) { k = files SUBSEP order[i]; if (k in med)
    printf "%-16s %5d %10s %10s %10s %12.1f %14.0f\n", order[i], runs[k], ms(best[k]), ms(med[k]), ms(cpu[k]), rss[k] / 1024, med[k] / files * 1e6 }
  if (fs != "") { split(fs, p, SUBSEP)
    printf "%-16s %5d %10s %10s %10s %12.1f %14.0f   (first %d files only, one process each)\n", "sops filestatus", runs[fs], ms(best[fs]), ms(med[fs]), ms(cpu[fs]), rss[fs] / 1024, med[fs] / p[1] * 1e6, p[1] }
  kc = files SUBSEP "keycycle"; p1 = files SUBSEP "plain-1"; pn = files SUBSEP "plain-N"; so = files SUBSEP "sops"; sp = files SUBSEP "sops-P"
  printf "\nratios: best wall, median wall, median CPU\n"
  printf "  keycycle / plain-1   %5.2f  %5.2f  %5.2f   goal ≤ 2\n", best[kc] / best[p1], med[kc] / med[p1], cpu[kc] / cpu[p1]
  if (pn in med) printf "  keycycle / plain-N   %5.2f  %5.2f  %5.2f\n", best[kc] / best[pn], med[kc] / med[pn], cpu[kc] / cpu[pn]
  if (so in med) printf "  keycycle / sops      %5.2f  %5.2f  %5.2f\n", best[kc] / best[so], med[kc] / med[so], cpu[kc] / cpu[so]
  if (sp in med) printf "  keycycle / sops-P    %5.2f  %5.2f  %5.2f\n", best[kc] / best[sp], med[kc] / med[sp], cpu[kc] / cpu[sp]
  printf "  peak RSS keycycle / plain-1  %5.2f  (%.1f / %.1f MiB)\n", rss[kc] / rss[p1], rss[kc] / 1024, rss[p1] / 1024
  printf "\nlinearity (best wall and median CPU; marginal = extra time per extra file from the previous size)\n"
  printf "%8s %12s %12s %11s %11s %15s %10s %11s %16s %11s\n", "files", "keycycle ms", "plain-1 ms", "kc/plain-1", "kc µs/file", "kc marginal µs", "kc CPU ms", "CPU µs/file", "CPU marginal µs", "kc RSS MiB"
  for (i = 1; i <= ns; i++) { n = sizes[i]
    k = n SUBSEP "keycycle"; q = n SUBSEP "plain-1"; if (!(k in med)) continue
    marg = "-"; cmarg = "-"
    if (prev != "") { pk = prev SUBSEP "keycycle"
      marg = sprintf("%.0f", (best[k] - best[pk]) / (n - prev) * 1e6)
      cmarg = sprintf("%.0f", (cpu[k] - cpu[pk]) / (n - prev) * 1e6) }
    printf "%8d %12s %12s %11.2f %11.0f %15s %10s %11.0f %16s %11.1f\n", n, ms(best[k]), ms(best[q]), best[k] / best[q], best[k] / n * 1e6, marg, ms(cpu[k]), cpu[k] / n * 1e6, cmarg, rss[k] / 1024
    prev = n }
}' "$RESULTS"

# --- hyperfine cross-check ------------------------------------------------
if [ "$HYPERFINE" = 1 ] && ! command -v hyperfine >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing hyperfine (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null 2>&1 || true
  fi
fi
if [ "$HYPERFINE" = 1 ] && command -v hyperfine >/dev/null 2>&1; then
  echo
  echo "hyperfine cross-check at $FILES files:"
  hyperfine -N --style basic -i --warmup 1 --runs "$RUNS" \
    -n keycycle "$BIN/keycycle check --repo $dir --format json" \
    -n plain-1 "$BIN/plainparse -repo $dir -jobs 1" \
    -n plain-N "$BIN/plainparse -repo $dir -jobs 0" 2>&1 | grep -v '^ *$' || true
fi
