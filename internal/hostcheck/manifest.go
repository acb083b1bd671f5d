package hostcheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
)

// Default sops-nix locations.
const (
	// DefaultSSHKey is sops-nix's default sops.age.sshKeyPaths entry.
	DefaultSSHKey = "/etc/ssh/ssh_host_ed25519_key"
	// DefaultKeyFile is the usual sops.age.keyFile.
	DefaultKeyFile = "/var/lib/sops-nix/key.txt"
	// DefaultSymlinkPath is where sops-nix links the current generation.
	DefaultSymlinkPath = "/run/secrets"
	// DefaultMountPoint holds sops-nix's generations /run/secrets.d/N.
	DefaultMountPoint = "/run/secrets.d"
	// ForUsersSymlinkPath and ForUsersMountPoint are where sops-nix
	// installs the neededForUsers secrets (user passwords), before users
	// are created, from its second manifest (manifest-for-users.json).
	ForUsersSymlinkPath = "/run/secrets-for-users"
	ForUsersMountPoint  = "/run/secrets-for-users.d"
	// renderedSubdir holds sops-nix templates inside a generation.
	renderedSubdir = "rendered"
)

// Secret is one secret sops-nix installs, as its manifest describes it
// (sops-install-secrets' `secret` and `template` structs).
type Secret struct {
	Name     string  `json:"name"`
	Key      string  `json:"key,omitempty"`
	Path     string  `json:"path,omitempty"`
	Owner    *string `json:"owner,omitempty"`
	UID      int     `json:"uid"`
	Group    *string `json:"group,omitempty"`
	GID      int     `json:"gid"`
	SopsFile string  `json:"sopsFile,omitempty"`
	Format   string  `json:"format,omitempty"`
	// Mode is an octal string, "0400" when empty (sops-nix's default).
	Mode string `json:"mode,omitempty"`
	// NeededForUsers is set in config.sops.secrets (not in a manifest,
	// which sops-nix splits instead): the secret is installed under
	// /run/secrets-for-users.
	NeededForUsers bool `json:"neededForUsers,omitempty"`
	// Template is true for an entry of the manifest's templates.
	Template bool `json:"-"`
}

// Manifest is the part of sops-nix's manifest the checks use: what
// sops-install-secrets reads (its `manifest` struct), less the fields
// about decryption (gnupg, logging, placeholders, keepGenerations).
type Manifest struct {
	Secrets           []Secret `json:"secrets"`
	Templates         []Secret `json:"templates"`
	SecretsMountPoint string   `json:"secretsMountPoint"`
	SymlinkPath       string   `json:"symlinkPath"`
	// AgeKeyFile and AgeSSHKeyPaths are the keys sops-nix decrypts with
	// (sops.age.keyFile, sops.age.sshKeyPaths); the checks use them when
	// --key-file and --ssh-key are not given. AgeSSHKeyPaths is nil when
	// the file does not say (a secrets array), empty when it says none.
	AgeKeyFile     string   `json:"ageKeyFile"`
	AgeSSHKeyPaths []string `json:"ageSshKeyPaths"`
}

// ParseManifest reads what --expect takes: sops-nix's manifest JSON as it
// is (manifest.json, or manifest-for-users.json of the neededForUsers
// secrets), its `secrets` array alone, or an object of secrets by name
// (what builtins.toJSON config.sops.secrets gives). Defaults are filled
// in: mount point, link path, each secret's path and mode.
func ParseManifest(data []byte) (*Manifest, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, errors.New("empty file: expected sops-nix's manifest JSON or its secrets array")
	}
	m := &Manifest{}
	switch data[0] {
	case '[':
		if err := json.Unmarshal(data, &m.Secrets); err != nil {
			return nil, fmt.Errorf("not a JSON array of secrets: %w", err)
		}
	case '{':
		if err := parseManifestObject(data, m); err != nil {
			return nil, err
		}
	default:
		return nil, errors.New("not JSON: expected sops-nix's manifest or its secrets array")
	}
	for i := range m.Templates {
		m.Templates[i].Template = true
	}
	return m, m.fillDefaults()
}

// parseManifestObject reads a manifest object, or an object of secrets
// by name.
func parseManifestObject(data []byte, m *Manifest) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return fmt.Errorf("not a JSON object: %w", err)
	}
	raw, ok := top["secrets"]
	if !ok {
		byName := map[string]Secret{}
		if err := json.Unmarshal(data, &byName); err != nil {
			return fmt.Errorf("no \"secrets\" in the object, and it is not an object of secrets by name: %w", err)
		}
		m.Secrets = sortedSecrets(byName)
		return nil
	}
	if err := json.Unmarshal(data, m); err == nil {
		return nil
	}
	// "secrets" as an object by name, the rest as in a manifest.
	byName := map[string]Secret{}
	if err := json.Unmarshal(raw, &byName); err != nil {
		return fmt.Errorf("\"secrets\" is neither an array nor an object of secrets: %w", err)
	}
	delete(top, "secrets")
	rest, _ := json.Marshal(top)
	if err := json.Unmarshal(rest, m); err != nil {
		return fmt.Errorf("not a sops-nix manifest: %w", err)
	}
	m.Secrets = sortedSecrets(byName)
	return nil
}

func sortedSecrets(byName map[string]Secret) []Secret {
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sortStrings(names)
	out := make([]Secret, 0, len(names))
	for _, n := range names {
		s := byName[n]
		if s.Name == "" {
			s.Name = n
		}
		out = append(out, s)
	}
	return out
}

func (m *Manifest) fillDefaults() error {
	if m.SecretsMountPoint == "" {
		m.SecretsMountPoint = DefaultMountPoint
	}
	if m.SymlinkPath == "" {
		m.SymlinkPath = DefaultSymlinkPath
	}
	for i := range m.Secrets {
		link := m.SymlinkPath
		if m.Secrets[i].NeededForUsers && link == DefaultSymlinkPath {
			link = ForUsersSymlinkPath
		}
		if err := m.Secrets[i].fill(link); err != nil {
			return err
		}
	}
	for i := range m.Templates {
		if err := m.Templates[i].fill(m.SymlinkPath); err != nil {
			return err
		}
	}
	return nil
}

func (s *Secret) fill(link string) error {
	if s.Name == "" {
		return errors.New("a secret without a name")
	}
	if s.Mode == "" {
		s.Mode = "0400"
	}
	if _, err := s.fileMode(); err != nil {
		return err
	}
	if s.Path == "" {
		s.Path = s.linkPath(link)
	}
	return nil
}

// linkPath is where sops-nix writes the secret under the link:
// /run/secrets/NAME, or /run/secrets/rendered/NAME for a template.
func (s *Secret) linkPath(link string) string {
	if s.Template {
		return path.Join(link, renderedSubdir, s.Name)
	}
	return path.Join(link, s.Name)
}

// fileMode parses Mode as sops-nix does (octal).
func (s *Secret) fileMode() (fs.FileMode, error) {
	v, err := strconv.ParseUint(s.Mode, 8, 32)
	if err != nil || v > 0o7777 {
		return 0, fmt.Errorf("secret %s: mode %q is not an octal mode", s.Name, s.Mode)
	}
	return fs.FileMode(v), nil
}
