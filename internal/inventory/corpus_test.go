package inventory

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keycycle/keycycle/internal/repo"
	"github.com/keycycle/keycycle/internal/sopsconfig"
)

// TestCorpusConfigs renders the inventory of every real-world .sops.yaml
// of the shared corpus (skipped when it is absent): no panic, every key
// of every rule present, tables within 80 columns.
func TestCorpusConfigs(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "corpus", "sops-yaml", "*.sops.yaml"))
	if len(files) == 0 {
		t.Skip("no corpus")
	}
	for _, p := range files {
		t.Run(filepath.Base(p), func(t *testing.T) {
			cfg, err := sopsconfig.Load(p)
			r := &repo.Repo{Root: filepath.Dir(p), ConfigPath: p, Config: cfg, ConfigErr: err}
			inv := Build(r)
			if err != nil {
				if inv.ConfigError == "" || strings.Contains(inv.ConfigError, filepath.Dir(p)) {
					t.Errorf("config error %q", inv.ConfigError)
				}
				return
			}
			known := &keySet{index: indexOf(inv)}
			for _, rule := range cfg.Rules {
				for _, g := range rule.KeyGroups {
					for _, k := range g.Keys {
						if known.lookup(string(k.Type), k.Value) < 0 {
							t.Errorf("rule %d key %s:%s not in the inventory", rule.Index+1, k.Type, k.Value)
						}
					}
				}
			}
			var b bytes.Buffer
			for _, f := range []func() error{
				func() error { return WriteTable(&b, inv, 80) }, func() error { return WriteJSON(&b, inv) },
				func() error { return WriteDot(&b, inv) }, func() error { return WriteMermaid(&b, inv) },
			} {
				if err := f(); err != nil {
					t.Fatal(err)
				}
			}
			checkWidth(t, table(t, inv, 80), 80)
			if os.Getenv("KEYCYCLE_SHOW") != "" {
				t.Log("\n" + table(t, inv, 80))
			}
		})
	}
}

func indexOf(inv *Inventory) map[string]int {
	m := map[string]int{}
	for i, k := range inv.Keys {
		m[identity(k.Type, k.Recipient)] = i
	}
	return m
}
