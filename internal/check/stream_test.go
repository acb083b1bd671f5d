package check_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keycycle/keycycle/bench/genrepo"
	"github.com/keycycle/keycycle/internal/check"
	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/repo"
)

// TestStreamReportsWhatRunWithDoes: check.Stream, which reads and drops
// each file as it goes, reports exactly what RunWith reports on the
// loaded repository, ties in order included: drifted files, an unused
// and a shadowed rule, and a policy whose hosts need secrets from a few
// files (some missing) and can decrypt many they need nothing from.
func TestStreamReportsWhatRunWithDoes(t *testing.T) {
	l, err := genrepo.New(90, 6, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.PlantDrift(7); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "repo")
	if err := l.Write(dir, genrepo.FakeEncrypt, 0); err != nil {
		t.Fatal(err)
	}
	backend, err := l.NewFakeBackend(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, ".sops.yaml")
	extra := "  - path_regex: sops/host01/secrets-0000[0-9]\\.yaml$\n    age: " + l.Keys[0].Recipient() +
		"\n  - path_regex: sops/gone/.*\\.yaml$\n    age: " + l.Keys[0].Recipient() + "\n"
	writeFile(t, cfg, string(l.Config())+extra)
	writeFile(t, filepath.Join(dir, "keycycle.yaml"), `version: 1
files:
  shared: sops/shared/secrets-00001.yaml
  host: sops/{host}/secrets-00002.yaml
categories:
  base:
    secrets:
      passwords/root: shared
      smtp/password: shared
      wireguard/private_key: host
      nothing/here: host
  ops:
    secrets:
      passwords/user1: shared
roles:
  server: [base, ops]
  vm: [base]
hosts:
  host01: server
  host02: vm
  ghost: vm
`)
	pol, err := policy.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, opts := range []check.Options{{Now: now}, {Policy: pol, Now: now}} {
		loaded, err := repo.Load(context.Background(), cfg, backend, repo.Options{})
		if err != nil {
			t.Fatal(err)
		}
		want := report(t, check.RunWith(loaded, opts))
		opened, err := repo.Open(cfg, repo.Options{})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := check.Stream(context.Background(), opened, backend, opts)
		if err != nil {
			t.Fatal(err)
		}
		if got := report(t, rep); got != want {
			t.Errorf("policy %v: Stream reports\n%s\nRunWith reports\n%s", opts.Policy != nil, got, want)
		}
		for _, id := range []string{check.IDMissingRecipient, check.IDShadowedRule, check.IDUnusedRule} {
			if !strings.Contains(want, `"`+id+`"`) {
				t.Errorf("the repository has no %s finding: the comparison misses what it is for", id)
			}
		}
		if opts.Policy != nil {
			for _, id := range []string{check.IDExcessAccess, check.IDMissingSecret, check.IDMissingFile, check.IDHostNotInSops, check.IDHostNotInPolicy} {
				if !strings.Contains(want, `"`+id+`"`) {
					t.Errorf("the policy raises no %s finding: the comparison misses what it is for", id)
				}
			}
		}
	}
}

// TestStreamStopsWhenTheContextIsDone: a cancelled run returns the
// context's error, not a partial report.
func TestStreamStopsWhenTheContextIsDone(t *testing.T) {
	l, err := genrepo.New(20, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "repo")
	if err := l.Write(dir, genrepo.FakeEncrypt, 0); err != nil {
		t.Fatal(err)
	}
	backend, err := l.NewFakeBackend(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := repo.Open(filepath.Join(dir, ".sops.yaml"), repo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if rep, err := check.Stream(ctx, r, backend, check.Options{}); err != context.Canceled || rep != nil {
		t.Fatalf("Stream after cancel: %v, %v; want context.Canceled and no report", rep, err)
	}
}

func report(t *testing.T, rep *check.Report) string {
	t.Helper()
	data, err := json.MarshalIndent(rep, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
