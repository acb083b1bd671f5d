package repo_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/keycycle/keycycle/bench/genrepo"
	"github.com/keycycle/keycycle/internal/repo"
)

// BenchmarkLoad measures what repo.Load itself costs on 200 files × 20
// recipients — walk, candidate choice, reads, rule matching, the worker
// pool — with a backend that answers from memory. The sops side is
// BenchmarkLoadRepo in internal/sopsfile.
func BenchmarkLoad(b *testing.B) {
	l, err := genrepo.New(200, 20, 1)
	if err != nil {
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
	config := filepath.Join(dir, ".sops.yaml")
	for _, bc := range []struct {
		name string
		jobs int
	}{{"jobs=1", 1}, {"jobs=GOMAXPROCS", 0}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r, err := repo.Load(context.Background(), config, backend, repo.Options{Jobs: bc.jobs})
				if err != nil || len(r.Entries) != 200 {
					b.Fatalf("Load: %v", err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/200, "µs/file")
		})
	}
}
