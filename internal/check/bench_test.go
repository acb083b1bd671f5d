package check_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/keycycle/keycycle/bench/genrepo"
	"github.com/keycycle/keycycle/internal/check"
	"github.com/keycycle/keycycle/internal/repo"
)

// BenchmarkRun measures the checks alone (check.Run on a loaded
// repository of 200 files × 20 recipients): clean, and with every 10th
// file drifted from its rule so the finding paths run too. Loading is
// BenchmarkLoad (internal/repo) and BenchmarkLoadRepo (internal/sopsfile).
func BenchmarkRun(b *testing.B) {
	for _, bc := range []struct {
		name     string
		drift    int
		findings bool
	}{{"clean", 0, false}, {"drift=10", 10, true}} {
		b.Run(bc.name, func(b *testing.B) {
			r := loadFake(b, 200, 20, bc.drift)
			b.ReportAllocs()
			for b.Loop() {
				rep := check.Run(r)
				if (len(rep.Findings) > 0) != bc.findings {
					b.Fatalf("%d findings, want some: %v", len(rep.Findings), bc.findings)
				}
			}
		})
	}
}

// fakeRepo writes a generated repository of files × recipients (drift
// of them drifted) with fake encryption, and returns its folder and the
// backend that reads it.
func fakeRepo(tb testing.TB, files, recipients, drift int) (*genrepo.Layout, string, *genrepo.FakeBackend) {
	tb.Helper()
	l, err := genrepo.New(files, recipients, 1)
	if err != nil {
		tb.Fatal(err)
	}
	if drift > 0 {
		if _, err := l.PlantDrift(drift); err != nil {
			tb.Fatal(err)
		}
	}
	dir := filepath.Join(tb.TempDir(), "repo")
	if err := l.Write(dir, genrepo.FakeEncrypt, 0); err != nil {
		tb.Fatal(err)
	}
	backend, err := l.NewFakeBackend(dir)
	if err != nil {
		tb.Fatal(err)
	}
	return l, dir, backend
}

func loadFake(b *testing.B, files, recipients, drift int) *repo.Repo {
	b.Helper()
	_, dir, backend := fakeRepo(b, files, recipients, drift)
	r, err := repo.Load(context.Background(), filepath.Join(dir, ".sops.yaml"), backend, repo.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return r
}
