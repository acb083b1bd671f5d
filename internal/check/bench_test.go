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

func loadFake(b *testing.B, files, recipients, drift int) *repo.Repo {
	b.Helper()
	l, err := genrepo.New(files, recipients, 1)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := l.PlantDrift(drift); err != nil {
		b.Fatal(err)
	}
	dir := filepath.Join(b.TempDir(), "repo")
	if err := l.Write(dir, genrepo.FakeEncrypt, 0); err != nil {
		b.Fatal(err)
	}
	backend, err := l.NewFakeBackend(dir)
	if err != nil {
		b.Fatal(err)
	}
	r, err := repo.Load(context.Background(), filepath.Join(dir, ".sops.yaml"), backend, repo.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return r
}
