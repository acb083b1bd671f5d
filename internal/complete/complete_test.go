package complete

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestCompletions(t *testing.T) {
	dir := t.TempDir()
	const rec = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
	cfg := "keys:\n  hosts:\n    - &web " + rec + "\ncreation_rules:\n  - path_regex: sops/[^/]+\\.yaml$\n    key_groups:\n      - age:\n          - *web\n"
	p := filepath.Join(dir, ".sops.yaml")
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "sops"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"a.yaml", "b.yaml"} {
		if err := os.WriteFile(filepath.Join(dir, "sops", f), []byte("x: 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	keys := KeyNames(p)
	if len(keys) != 1 || keys[0].Value != "web" || !strings.HasPrefix(keys[0].Desc, "hosts: age1") {
		t.Errorf("KeyNames: %+v", keys)
	}
	shown := func(s string) string { r, _ := filepath.Rel(dir, s); return r }
	files, ok := SecretsFiles(p, []string{"sops/a.yaml"}, shown)
	if !ok || !slices.Equal(files, []string{"sops/b.yaml"}) {
		t.Errorf("SecretsFiles: %v %v", files, ok)
	}
	if _, ok := SecretsFiles(filepath.Join(dir, "none"), nil, shown); ok || KeyNames("") != nil {
		t.Error("no repository: nothing offered")
	}
	if c := HostChecks(); len(c) == 0 || c[0].Value != "HC001" {
		t.Errorf("HostChecks: %+v", c)
	}
}
