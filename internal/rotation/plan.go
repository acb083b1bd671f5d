package rotation

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/keycycle/keycycle/internal/repo"
	"github.com/keycycle/keycycle/internal/sopsconfig"
	"github.com/keycycle/keycycle/internal/sopsfile"
)

// TempSuffix makes the name of the new key's anchor while both keys are
// listed (&griefling-new beside &griefling).
const TempSuffix = "-new"

// Start describes a rotation to plan.
type Start struct {
	// Key is the .sops.yaml anchor to rotate; Host the machine holding
	// its private half; Kind is "host" or "user".
	Key, Host, Kind string
	// KeyFile is the host path of the key file: sops-nix's for a host
	// key, the user's keys.txt for a user key.
	KeyFile string
	// User is the user whose keys.txt KeyFile is, when Resolve chose it
	// (a user key without --key-file): the host names the home at
	// new-key.
	User string
	// HostFile is the host's secrets file, which keeps a user key's
	// private half under keys/age (user keys only).
	HostFile string
	Deploy   string
	Remote   Remote
	Now      time.Time
	// FromSSHHostKey tells that the old key is the host's SSH host key
	// converted (ssh-to-age): the new one will be an age key file.
	FromSSHHostKey bool
}

// Plan checks that s can be rotated and returns its journal, in state
// planned (not saved).
func Plan(cfgPath string, s Start) (*Journal, error) {
	cfg, err := sopsconfig.Load(cfgPath)
	if err != nil {
		return nil, err
	}
	a, ok := cfg.AnchorByName(s.Key)
	if !ok {
		return nil, fmt.Errorf("no key &%s in .sops.yaml", s.Key)
	}
	if !strings.HasPrefix(a.Value, "age1") {
		return nil, fmt.Errorf("&%s is not an age recipient: rotation makes age keys", s.Key)
	}
	temp := s.Key + TempSuffix
	if _, ok := cfg.AnchorByName(temp); ok {
		return nil, fmt.Errorf("&%s already exists in .sops.yaml: remove it, or abort the rotation that left it", temp)
	}
	if err := checkAnchor(cfg, s.Key, a.Value); err != nil {
		return nil, err
	}
	for _, r := range cfg.Rules {
		if r.Lists(s.Key) && len(r.KeyGroups) > 1 {
			return nil, fmt.Errorf(".sops.yaml line %d: a rule with %d key groups (Shamir) lists &%s; keycycle rotates keys of one-group rules only: replace it by hand ('keycycle user add', then 'keycycle user remove')", r.Pos.Line, len(r.KeyGroups), s.Key)
		}
	}
	j := &Journal{Schema: Schema, ID: NewID(s.Key, s.Now), Key: s.Key, Kind: s.Kind, Host: s.Host,
		Temp: temp, Old: a.Value, KeyFile: s.KeyFile, User: s.User, HostFile: s.HostFile, Deploy: s.Deploy, Remote: s.Remote,
		State: Planned, Started: s.Now.UTC()}
	if len(a.Group) > 0 {
		j.Group = a.Group[0]
	}
	if j.Files, err = filesListing(cfgPath, cfg, nil, j.Old); err != nil {
		return nil, err
	}
	if len(j.Files) == 0 {
		return nil, fmt.Errorf("no file lists &%s: nothing to rotate", s.Key)
	}
	if j.Kind == KindUser && !slices.Contains(j.Files, j.HostFile) {
		return nil, fmt.Errorf("%s, where the user key's private half is kept, does not list &%s", j.HostFile, s.Key)
	}
	return j, nil
}

// filesListing returns the secrets files (relative) whose metadata lists
// recipient, in the order repo.SecretsFiles gives; never nil.
func filesListing(cfgPath string, cfg *sopsconfig.Config, exclude []string, recipient string) ([]string, error) {
	rels, err := repo.SecretsFiles(cfgPath, cfg, exclude)
	if err != nil {
		return nil, err
	}
	root := filepath.Dir(cfgPath)
	out := []string{}
	for _, rel := range rels {
		f, err := sopsfile.Read(filepath.Join(root, filepath.FromSlash(rel)))
		if err == nil && slices.Contains(f.Meta.Recipients(), recipient) {
			out = append(out, rel)
		}
	}
	return out, nil
}
