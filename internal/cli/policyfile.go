package cli

import (
	"os"
	"path/filepath"

	"github.com/keycycle/keycycle/internal/change"
	"github.com/keycycle/keycycle/internal/configedit"
	"github.com/keycycle/keycycle/internal/policy"
)

// hostPolicyUpdate puts policy.UpdateHosts's keycycle.yaml, when it
// changes, into the change.
func hostPolicyUpdate(req *change.Request, name string, add bool, e policy.HostEdit) error {
	out, err := policy.UpdateHosts(filepath.Dir(req.ConfigPath), name, add, e)
	if err != nil || out == nil {
		return err
	}
	req.Public = append(req.Public, change.PublicFile{Rel: policy.ConfigFile, Data: out})
	return nil
}

// withPolicyDiff adds to the .sops.yaml diff the diff of keycycle.yaml
// when the change rewrites it.
func withPolicyDiff(diff string, req change.Request) string {
	for _, f := range req.Public {
		if f.Rel != policy.ConfigFile {
			continue
		}
		old, err := os.ReadFile(filepath.Join(filepath.Dir(req.ConfigPath), f.Rel))
		if err == nil {
			diff += configedit.UnifiedDiff(f.Rel, old, f.Data)
		}
	}
	return diff
}
