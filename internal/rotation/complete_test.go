package rotation

import (
	"os"
	"path/filepath"
	"testing"
)

// TestOpenCandidates: an open rotation is offered with its key and state,
// a finished one is not, and a folder without a repository offers none.
func TestOpenCandidates(t *testing.T) {
	dir := t.TempDir()
	const rec = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
	cfg := "keys:\n  hosts:\n    - &web " + rec + "\ncreation_rules:\n  - path_regex: sops/[^/]+\\.yaml$\n    key_groups:\n      - age:\n          - *web\n"
	p := filepath.Join(dir, ".sops.yaml")
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if c := OpenCandidates(p); c != nil {
		t.Errorf("no rotation: %+v offered", c)
	}
	st := Store{Root: dir}
	for _, j := range []*Journal{{Schema: Schema, ID: "web-1", Key: "web", State: Added}, {Schema: Schema, ID: "web-0", Key: "web", State: Done}} {
		if err := st.Save(j); err != nil {
			t.Fatal(err)
		}
	}
	c := OpenCandidates(p)
	if len(c) != 1 || c[0].Value != "web-1" || c[0].Desc != "&web added" {
		t.Errorf("OpenCandidates: %+v, want web-1 (&web added) alone", c)
	}
	if c := OpenCandidates(filepath.Join(t.TempDir(), ".sops.yaml")); c != nil {
		t.Errorf("no repository: %+v offered", c)
	}
}
