// Command plainparse is the baseline of the check benchmark: it finds the
// candidate files of a secrets repository the way keycycle does (every
// regular file outside dot-folders whose path a creation rule of
// .sops.yaml matches), reads each and parses it with gopkg.in/yaml.v3 into
// `any` — no sops, no metadata, no checks.
//
//	plainparse -repo DIR [-jobs N]
//
// -jobs 1 (the default) is single-threaded; -jobs 0 uses one goroutine
// per CPU, as keycycle does, so the comparison can be made both ways.
package main

import (
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"gopkg.in/yaml.v3"

	"github.com/keycycle/keycycle/internal/sopsconfig"
)

func main() {
	dir := flag.String("repo", ".", "the folder that holds .sops.yaml")
	jobs := flag.Int("jobs", 1, "files parsed at once (0: one per CPU)")
	flag.Parse()
	n, bytes, err := run(*dir, *jobs)
	if err != nil {
		fmt.Fprintln(os.Stderr, "plainparse:", err)
		os.Exit(1)
	}
	fmt.Printf("%d files, %d bytes parsed\n", n, bytes)
}

func run(dir string, jobs int) (int, int64, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return 0, 0, err
	}
	cfg, err := sopsconfig.Load(filepath.Join(root, ".sops.yaml"))
	if err != nil {
		return 0, 0, err
	}
	var paths []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		if _, err := cfg.Match(filepath.ToSlash(rel)); err == nil {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	var (
		total atomic.Int64
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	work := make(chan string)
	for w := 0; w < jobs; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				n, err := parse(p)
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
				total.Add(n)
			}
		}()
	}
	for _, p := range paths {
		work <- p
	}
	close(work)
	wg.Wait()
	return len(paths), total.Load(), first
}

func parse(p string) (int64, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		return 0, err
	}
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return 0, fmt.Errorf("%s: %w", p, err)
	}
	if v == nil {
		return 0, fmt.Errorf("%s: empty document", p)
	}
	return int64(len(data)), nil
}
