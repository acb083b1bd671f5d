package sopsfile

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMemConfigChoosesRulesLikeTheFile proves that a config held in
// memory picks the same rule, with the same recipients, as the same bytes
// in the repository's .sops.yaml, and that nothing is left on disk.
func TestMemConfigChoosesRulesLikeTheFile(t *testing.T) {
	dir := t.TempDir()
	cfg := []byte(`creation_rules:
  - path_regex: ^sops/a\.yaml$
    age: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
  - path_regex: ^sops/
    age: age1lggyhqrw2nlhcxprm67z43rta597azn8gknawjehu9d9dl0jq3yqqvfafg
`)
	cfgPath := filepath.Join(dir, ".sops.yaml")
	if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := NewMemConfig(cfgPath, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"sops/a.yaml", "sops/b.yaml", "other.yaml"} {
		abs := filepath.Join(dir, rel)
		want, werr := WantedFor(cfgPath, abs)
		got, gerr := WantedFor(m.Path(), m.RulePath(abs))
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("%s: file says %v, memory says %v", rel, werr, gerr)
		}
		if werr == nil && want.Recipients()[0] != got.Recipients()[0] {
			t.Errorf("%s: file wants %v, memory wants %v", rel, want.Recipients(), got.Recipients())
		}
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("the folder holds %d entries, want only .sops.yaml", len(ents))
	}
}
