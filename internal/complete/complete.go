// Package complete finds the values keycycle's shell completions offer:
// the key names and secrets files of the repository a command would work
// on, and host check's IDs. Each takes the path of that repository's
// .sops.yaml and offers nothing when it cannot be read. (The open
// rotations are rotation.OpenCandidates: this package does not link the
// sops library, and its tests build in a second.)
package complete

import (
	"path/filepath"
	"slices"
	"strings"

	"github.com/keycycle/keycycle/internal/agekey"
	"github.com/keycycle/keycycle/internal/hostcheck"
	"github.com/keycycle/keycycle/internal/repo"
	"github.com/keycycle/keycycle/internal/sopsconfig"
)

// Candidate is one value a completion offers, described.
type Candidate struct {
	Value, Desc string
}

// KeyNames are the anchor names under keys:, each described by its
// group and shortened recipient.
func KeyNames(configPath string) []Candidate {
	cfg, err := sopsconfig.Load(configPath)
	if err != nil {
		return nil
	}
	var out []Candidate
	for _, a := range cfg.Anchors {
		desc := agekey.Abbrev(a.Value)
		if len(a.Group) > 0 {
			desc = strings.Join(a.Group, "/") + ": " + desc
		}
		out = append(out, Candidate{a.Name, desc})
	}
	return out
}

// SecretsFiles are the files rekey works on, each as shown writes its
// path, less those in given; ok is false when the repository cannot be
// read.
func SecretsFiles(configPath string, given []string, shown func(path string) string) (files []string, ok bool) {
	cfg, err := sopsconfig.Load(configPath)
	if err != nil {
		return nil, false
	}
	rel, err := repo.SecretsFiles(configPath, cfg, nil)
	if err != nil {
		return nil, false
	}
	for _, f := range rel {
		s := shown(filepath.Join(filepath.Dir(configPath), filepath.FromSlash(f)))
		if !slices.Contains(given, s) {
			files = append(files, s)
		}
	}
	return files, true
}

// HostChecks are host check's IDs, described by their names.
func HostChecks() []Candidate {
	var out []Candidate
	for _, c := range hostcheck.Checks() {
		out = append(out, Candidate{c.ID, c.Name})
	}
	return out
}
