package cli

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/keycycle/keycycle/internal/change"
	"github.com/keycycle/keycycle/internal/configedit"
	"github.com/keycycle/keycycle/internal/policy"
)

// hostPolicyUpdate keeps keycycle.yaml's hosts: in step with a host
// command, when the repository has a keycycle.yaml: with add, the host
// is there (with the role and ssh target given); without, it is gone.
// The update goes into the change, written with it.
func hostPolicyUpdate(req *change.Request, name string, add bool, e policy.HostEdit) error {
	path := filepath.Join(filepath.Dir(req.ConfigPath), policy.ConfigFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if e.Role != "" || e.SSH != "" {
			return errorf("run 'keycycle init' first: it writes keycycle.yaml",
				"--role and --ssh are written to keycycle.yaml, and the repository has none")
		}
		return nil
	}
	if err != nil {
		return err
	}
	var out []byte
	if add {
		if err := checkRole(data, e.Role); err != nil {
			return err
		}
		out, err = policy.SetHost(policy.ConfigFile, data, name, e)
	} else {
		out, _, err = policy.RemoveHost(policy.ConfigFile, data, name)
	}
	if err != nil {
		return withHint(err, "edit hosts: in keycycle.yaml by hand, or leave it out with --no-policy")
	}
	if !bytes.Equal(out, data) {
		req.Public = append(req.Public, change.PublicFile{Rel: policy.ConfigFile, Data: out})
	}
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

// checkRole refuses a role keycycle.yaml does not define.
func checkRole(data []byte, role string) error {
	if role == "" {
		return nil
	}
	cfg, err := policy.ParseConfig(policy.ConfigFile, data)
	if err != nil {
		return withHint(err, "fix keycycle.yaml first ('keycycle check' shows where)")
	}
	if cfg.Role(role) != nil {
		return nil
	}
	var names []string
	for _, r := range cfg.Roles {
		names = append(names, r.Name)
	}
	return errorf("use one of the roles keycycle.yaml defines ("+strings.Join(names, ", ")+"), or define "+role+" under roles:",
		"keycycle.yaml has no role %q", role)
}
