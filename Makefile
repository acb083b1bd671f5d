# keycycle — the commands a newcomer runs.
GO ?= go

.PHONY: test demo build vet fuzz bench

# Every test: unit, end-to-end CLI scripts, interop with the real sops,
# age and ssh-keygen binaries, and the fuzz corpora as regression tests.
test:
	$(GO) test ./...

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
