package check_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"weak"

	"github.com/keycycle/keycycle/bench/genrepo"
	"github.com/keycycle/keycycle/internal/check"
	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/repo"
)

// TestStreamReportsWhatRunWithDoes: check.Stream, which reads and drops
// each file as it goes (repo.Each), reports exactly what RunWith reports
// on the loaded repository (repo.Load), ties in order included: drifted
// files, an unused and a shadowed rule, and a policy whose hosts need
// secrets from a few files (some missing) and can decrypt many they need
// nothing from. (Both run the same checks; that they report what check
// reported when it held every file was proven against main's binary on
// the same repositories, and the CLI scripts hold the messages.)
func TestStreamReportsWhatRunWithDoes(t *testing.T) {
	l, dir, backend := fakeRepo(t, 90, 6, 7)
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

// TestStreamKeepsNoFile: while Stream runs, the files read so far are
// garbage once checked: the number alive stays within the files in
// flight (the worker pool's window), where RunWith's loaded repository
// holds every one. Weak pointers count them after a collection.
func TestStreamKeepsNoFile(t *testing.T) {
	const files = 300
	_, dir, fake := fakeRepo(t, files, 4, 0)
	cfg := filepath.Join(dir, ".sops.yaml")
	opts := repo.Options{Jobs: 2} // at most 2 files read at once, 8 awaiting their checks
	b := &countingBackend{fake: fake}
	r, err := repo.Open(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := check.Stream(context.Background(), r, b, check.Options{}); err != nil {
		t.Fatal(err)
	}
	if b.calls != files || b.peak > 12 {
		t.Errorf("Stream: %d files read, at most %d alive at once; want %d, and at most 12", b.calls, b.peak, files)
	}
	t.Logf("Stream: at most %d of %d files alive at once", b.peak, files)
	// The control: a loaded repository keeps them all.
	b = &countingBackend{fake: fake}
	loaded, err := repo.Load(context.Background(), cfg, b, opts)
	if err != nil {
		t.Fatal(err)
	}
	check.RunWith(loaded, check.Options{})
	if b.peak < files-40 {
		t.Errorf("Load: at most %d files alive at once; the count cannot see a Repo holding %d", b.peak, files)
	}
}

// countingBackend answers from the fake backend with a new File each
// time, and every 20 files collects the garbage and counts the Files
// still alive.
type countingBackend struct {
	fake  *genrepo.FakeBackend
	mu    sync.Mutex
	live  []weak.Pointer[repo.File]
	calls int
	peak  int
}

func (b *countingBackend) ParseFile(path string, data []byte) (*repo.File, error) {
	f, err := b.fake.ParseFile(path, data)
	if err != nil {
		return nil, err
	}
	cp := *f
	cp.Secrets = append([]repo.Secret(nil), f.Secrets...)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls++
	b.live = append(b.live, weak.Make(&cp))
	if b.calls%20 == 0 {
		runtime.GC()
		alive := 0
		for _, p := range b.live {
			if p.Value() != nil {
				alive++
			}
		}
		b.peak = max(b.peak, alive)
	}
	return &cp, nil
}

func (b *countingBackend) Wanted(configPath, file string) (*repo.Wanted, error) {
	return b.fake.Wanted(configPath, file)
}

// TestStreamStopsWhenTheContextIsDone: a cancelled run returns the
// context's error, not a partial report.
func TestStreamStopsWhenTheContextIsDone(t *testing.T) {
	_, dir, backend := fakeRepo(t, 20, 3, 0)
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
