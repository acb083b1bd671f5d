package sopsfile

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// FuzzParse feeds the metadata reader arbitrary bytes as YAML, JSON,
// dotenv and INI: it must never panic (Parse recovers from a panic in the
// sops stores and turns it into an error), and what it returns must hold
// together.
func FuzzParse(f *testing.F) {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "corpus", "sops-files")
	for _, glob := range []string{"generated-sops-3.13.3/*", "upstream/*/*"} {
		matches, _ := filepath.Glob(filepath.Join(dir, glob))
		for _, m := range matches {
			if data, err := os.ReadFile(m); err == nil && len(data) < 64<<10 {
				f.Add(filepath.Ext(m), data)
			}
		}
	}
	f.Add(".yaml", []byte("a: b\nsops:\n    age:\n        - recipient: age1\n"))
	f.Add(".json", []byte(`{"sops": {"mac": "", "lastmodified": "x"}}`))
	f.Add(".env", []byte("sops_version=3\n"))
	f.Add(".ini", []byte("[sops]\nversion=3\n"))
	f.Fuzz(func(t *testing.T, ext string, data []byte) {
		switch ext {
		case ".yaml", ".json", ".env", ".ini":
		default:
			ext = ".yaml"
		}
		file, err := Parse("fuzz"+ext, data)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, r := range file.Meta.Recipients() {
			if seen[r] {
				t.Errorf("recipient %s listed twice", r)
			}
			seen[r] = true
		}
		for _, s := range file.Secrets {
			if len(s.Path) == 0 {
				t.Errorf("a secret with an empty path")
			}
		}
	})
}
