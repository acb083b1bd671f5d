package policy

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/keycycle/keycycle/internal/textutil"
)

// keysHint is what to do about a keys.yaml that does not load.
const keysHint = "fix .keycycle/keys.yaml (keycycle check reports where), or run 'keycycle init --force'"

// loadKeysOf loads the repository's keys.yaml; nil, nil when it has
// none ('keycycle init' creates it).
func loadKeysOf(root string) (*Keys, error) {
	path := filepath.Join(root, filepath.FromSlash(KeysFile))
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	keys, err := LoadKeys(path)
	if err != nil {
		return nil, textutil.WithHint(err, keysHint)
	}
	return keys, nil
}

// RecordKeys returns the repository's keys.yaml with the keys add
// created now and the recipients retire retired now; nil when the
// repository has no keys.yaml (nothing to keep in step).
func RecordKeys(root string, add []Key, retire []string, now time.Time) ([]byte, error) {
	keys, err := loadKeysOf(root)
	if keys == nil || err != nil {
		return nil, err
	}
	now = now.UTC().Truncate(time.Second)
	for _, k := range add {
		if keys.ByRecipient(k.Recipient) != nil {
			continue
		}
		k.Created = &now
		keys.Keys = append(keys.Keys, &k)
	}
	for _, r := range retire {
		if k := keys.ByRecipient(r); k != nil && k.Retired == nil {
			k.Retired = &now
		}
	}
	return keys.Marshal()
}

// RecordReplaced returns the repository's keys.yaml recording that the
// key old was replaced by nk (old retired now, nk created now); nil when
// the repository has no keys.yaml or old is not in it.
func RecordReplaced(root, old string, nk Key, now time.Time) ([]byte, error) {
	keys, err := loadKeysOf(root)
	if keys == nil || err != nil {
		return nil, err
	}
	if !keys.Replace(old, nk, now.UTC().Truncate(time.Second)) {
		return nil, nil
	}
	return keys.Marshal()
}

// UpdateHosts returns the repository's keycycle.yaml with hosts: in
// step with a host command: with add, the host is there (with the role
// and ssh target of e); without, it is gone. It returns nil when the
// file is unchanged or the repository has none (then e must be empty:
// its role and ssh target have nowhere to go).
func UpdateHosts(root, name string, add bool, e HostEdit) ([]byte, error) {
	data, err := os.ReadFile(filepath.Join(root, ConfigFile))
	if errors.Is(err, os.ErrNotExist) {
		if e.Role != "" || e.SSH != "" {
			return nil, textutil.Hintf("run 'keycycle init' first: it writes keycycle.yaml",
				"--role and --ssh are written to keycycle.yaml, and the repository has none")
		}
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []byte
	if add {
		if err := checkRole(data, e.Role); err != nil {
			return nil, err
		}
		out, err = SetHost(ConfigFile, data, name, e)
	} else {
		out, _, err = RemoveHost(ConfigFile, data, name)
	}
	if err != nil {
		return nil, textutil.WithHint(err, "edit hosts: in keycycle.yaml by hand, or leave it out with --no-policy")
	}
	if bytes.Equal(out, data) {
		return nil, nil
	}
	return out, nil
}

// checkRole refuses a role keycycle.yaml does not define.
func checkRole(data []byte, role string) error {
	if role == "" {
		return nil
	}
	cfg, err := ParseConfig(ConfigFile, data)
	if err != nil {
		return textutil.WithHint(err, "fix keycycle.yaml first ('keycycle check' shows where)")
	}
	if cfg.Role(role) != nil {
		return nil
	}
	var names []string
	for _, r := range cfg.Roles {
		names = append(names, r.Name)
	}
	return textutil.Hintf("use one of the roles keycycle.yaml defines ("+strings.Join(names, ", ")+"), or define "+role+" under roles:",
		"keycycle.yaml has no role %q", role)
}
