# keycycle — the commands a newcomer runs.
GO ?= go

.PHONY: test test-short demo build vet fuzz bench bench-rekey bench-checkmem

# Every test: unit, end-to-end CLI scripts, interop with the real sops,
# age and ssh-keygen binaries, and the fuzz corpora as regression tests.
test:
	$(GO) test ./...

# The quick loop: every kind of test still runs once, the long tables
# (kill points, random kills) only their first, middle and last cases.
test-short:
	$(GO) test -short ./...

demo:
	$(GO) run ./cmd/keycycle demo

build:
	$(GO) build -o keycycle ./cmd/keycycle

vet:
	gofmt -l . | (! grep .)
	$(GO) vet ./...

# Short fuzzing runs of every fuzz target (FUZZTIME=30s by default).
FUZZTIME ?= 30s
fuzz:
	./scripts/fuzz $(FUZZTIME)

bench:
	./bench/check.sh

# rekey add/remove against the floor (and BASE=another/keycycle), 2,000 × 20.
bench-rekey:
	./bench/rekey.sh

# check's peak RSS and CPU at 2,500, 5,000 and 10,000 files.
bench-checkmem:
	./bench/checkmem.sh
