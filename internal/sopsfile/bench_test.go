package sopsfile_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/keycycle/keycycle/bench/genrepo"
	"github.com/keycycle/keycycle/internal/repo"
	"github.com/keycycle/keycycle/internal/sopsfile"
)

// Benchmarks of the sops-library side of 'keycycle check'. The plain YAML
// parse of the same bytes is measured beside each, so the ratio the
// project aims at (≤ 2× a plain parse, see docs/performance.md) can be
// read off one run: go test -bench . -benchmem ./internal/sopsfile

func encrypt(path string, plain []byte, recipients []string) ([]byte, error) {
	return sopsfile.Encrypt(path, plain, sopsfile.EncryptOptions{Groups: [][]string{recipients}})
}

// oneFile is a secrets file encrypted for 20 recipients, with the
// .sops.yaml of its repository.
func oneFile(b *testing.B) (config, path string, data []byte) {
	b.Helper()
	l, err := genrepo.New(1, 20, 1)
	if err != nil {
		b.Fatal(err)
	}
	dir := filepath.Join(b.TempDir(), "repo")
	if err := l.Write(dir, encrypt, 1); err != nil {
		b.Fatal(err)
	}
	path = filepath.Join(dir, filepath.FromSlash(l.Files[0].Rel))
	data, err = os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	return filepath.Join(dir, ".sops.yaml"), path, data
}

// BenchmarkParse reads the metadata and secret paths of one file with 20
// recipients through the sops YAML store.
func BenchmarkParse(b *testing.B) {
	_, path, data := oneFile(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := sopsfile.Parse(path, data)
		if err != nil || len(f.Meta.Recipients()) != 20 {
			b.Fatalf("Parse: %v", err)
		}
	}
}

// BenchmarkPlainYAML is the baseline of BenchmarkParse: the same bytes
// parsed by gopkg.in/yaml.v3 into any.
func BenchmarkPlainYAML(b *testing.B) {
	_, _, data := oneFile(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var v any
		if err := yaml.Unmarshal(data, &v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWantedFor resolves one file's creation rule with sops's own
// config loader (it reads and parses .sops.yaml on every call).
func BenchmarkWantedFor(b *testing.B) {
	config, path, _ := oneFile(b)
	b.ReportAllocs()
	for b.Loop() {
		w, err := sopsfile.WantedFor(config, path)
		if err != nil || len(w.Recipients()) != 20 {
			b.Fatalf("WantedFor: %v", err)
		}
	}
}

// BenchmarkLoadRepo is repo.Load with the real backend on 200 files × 20
// recipients: the whole reading side of 'keycycle check'.
func BenchmarkLoadRepo(b *testing.B) {
	l, err := genrepo.New(200, 20, 1)
	if err != nil {
		b.Fatal(err)
	}
	dir := filepath.Join(b.TempDir(), "repo")
	if err := l.Write(dir, encrypt, 0); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		jobs int
	}{{"jobs=1", 1}, {"jobs=GOMAXPROCS", 0}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r, err := repo.Load(context.Background(), filepath.Join(dir, ".sops.yaml"), sopsfile.Backend{}, repo.Options{Jobs: bc.jobs})
				if err != nil || len(r.Entries) != 200 {
					b.Fatalf("Load: %v", err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/200, "µs/file")
		})
	}
}

// BenchmarkLoadRetained reports what a loaded repository keeps in memory
// per file (the heap still in use once the Load's garbage is collected,
// with the Repo alive): what 'keycycle check' holds for every file of a
// repository while it runs.
func BenchmarkLoadRetained(b *testing.B) {
	const files = 400
	l, err := genrepo.New(files, 20, 1)
	if err != nil {
		b.Fatal(err)
	}
	dir := filepath.Join(b.TempDir(), "repo")
	if err := l.Write(dir, encrypt, 0); err != nil {
		b.Fatal(err)
	}
	var retained float64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		r, err := repo.Load(context.Background(), filepath.Join(dir, ".sops.yaml"), sopsfile.Backend{}, repo.Options{})
		if err != nil || len(r.Entries) != files {
			b.Fatalf("Load: %v", err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		retained = float64(after.HeapAlloc) - float64(before.HeapAlloc)
		runtime.KeepAlive(r)
	}
	b.ReportMetric(retained/files, "retained-B/file")
}
