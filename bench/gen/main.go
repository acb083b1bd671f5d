// Command gen writes a nix-secrets-like repository for benchmarks:
//
//	go run ./bench/gen -dir DIR -files N -recipients R [-seed S] [-jobs J] [-drift N]
//
// DIR/.sops.yaml has R anchored age keys under keys: hosts/users (two
// users, the rest hosts), a shared creation rule and one rule per host;
// DIR/sops/<shared|host>/secrets-NNNNN.yaml are N files, each with a
// handful of secrets, really encrypted for all R recipients through the
// sops library (internal/sopsfile.Encrypt). The private keys go to
// DIR/identities (mode 0600), usable as SOPS_AGE_KEY_FILE.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/keycycle/keycycle/bench/genrepo"
	"github.com/keycycle/keycycle/internal/sopsfile"
)

func main() {
	dir := flag.String("dir", "", "folder to create (must be missing or empty)")
	files := flag.Int("files", 2000, "number of secrets files")
	recipients := flag.Int("recipients", 20, "age recipients per file (and in .sops.yaml)")
	seed := flag.Uint64("seed", 1, "seed for names and plaintext values")
	jobs := flag.Int("jobs", 0, "files encrypted at once (0: one per CPU)")
	drift := flag.Int("drift", 0, "make every N-th file drift from its rule (one recipient missing, one unlisted): findings for check")
	quiet := flag.Bool("q", false, "print nothing on success")
	flag.Parse()
	if *dir == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: gen -dir DIR [-files N] [-recipients R] [-seed S] [-jobs J] [-drift N] [-q]")
		os.Exit(2)
	}
	start := time.Now()
	l, err := genrepo.New(*files, *recipients, *seed)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	if _, err := l.PlantDrift(*drift); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	enc := func(path string, plain []byte, recipients []string) ([]byte, error) {
		return sopsfile.Encrypt(path, plain, sopsfile.EncryptOptions{Groups: [][]string{recipients}})
	}
	if err := l.Write(*dir, enc, *jobs); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	if !*quiet {
		fmt.Printf("gen: %d files × %d recipients, %d creation rules, in %s (%.1fs)\n",
			len(l.Files), *recipients, len(l.Rules), *dir, time.Since(start).Seconds())
	}
}
