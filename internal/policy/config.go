package policy

import "time"

// ConfigFile is keycycle.yaml's name, at the root of the secrets repository.
const ConfigFile = "keycycle.yaml"

// Where a category's secret lives: the shared file, the host's own file,
// or a path written out.
const (
	FileShared = "shared"
	FileHost   = "host"
)

// Default file names for `shared` and `host`, as in the seed's layout.
const (
	DefaultSharedFile = "sops/shared.yaml"
	DefaultHostFile   = "sops/{host}.yaml"
)

// Kind is what a key is for.
type Kind string

// The kinds of keys. KindUnknown is for keys adopted by init whose kind
// could not be guessed.
const (
	KindHost    Kind = "host"
	KindUser    Kind = "user"
	KindAdmin   Kind = "admin"
	KindBackup  Kind = "backup"
	KindUnknown Kind = "unknown"
)

// Kinds are the key kinds a policy may give a maximum age.
var kindNames = []Kind{KindHost, KindUser, KindAdmin, KindBackup}

// Config is a parsed keycycle.yaml.
type Config struct {
	// Path is the file read.
	Path string `json:"path"`
	// Files maps `shared` and `host` to paths; {host} stands for the
	// host's name.
	Files      Files       `json:"files"`
	Categories []*Category `json:"categories"`
	// Generators say how secret values are made (keycycle secret
	// generate, ensure, regenerate), in document order.
	Generators []*Generator `json:"generators,omitempty"`
	Roles      []*Role      `json:"roles"`
	Hosts      []*Host      `json:"hosts"`
	Policy     Rotation     `json:"policy"`
	Deploy     Deploy       `json:"deploy"`
	// VCS is git, jj, auto or none ("" when not given: auto).
	VCS    string `json:"vcs,omitempty"`
	VCSPos Pos    `json:"vcs_pos"`
}

// Files names the shared file and the per-host file pattern.
type Files struct {
	Shared string `json:"shared"`
	Host   string `json:"host"`
}

// Ref is a name that refers to a category or role, and where it is written.
type Ref struct {
	Name string `json:"name"`
	Pos  Pos    `json:"pos"`
}

// Category is a set of secrets that hosts need together (the seed's base,
// desktop, server, network, cli).
type Category struct {
	Name        string `json:"name"`
	Pos         Pos    `json:"pos"`
	Description string `json:"description,omitempty"`
	// Includes are further categories whose secrets this one needs too.
	Includes []Ref `json:"includes,omitempty"`
	// Secrets are in document order.
	Secrets []SecretReq `json:"secrets"`
}

// SecretReq is one secret a category needs: its path in the sops file
// (keys joined with '/', as sops-nix names secrets) and where it lives.
type SecretReq struct {
	Path string `json:"path"`
	// File is `shared`, `host` or a path relative to the repository
	// root, in which {host} stands for the host's name.
	File string `json:"file"`
	Pos  Pos    `json:"pos"`
}

// Role is a kind of machine (desktop, laptop, server, vm, pi, tablet): the
// categories its hosts need.
type Role struct {
	Name       string `json:"name"`
	Pos        Pos    `json:"pos"`
	Categories []Ref  `json:"categories"`
	// Includes are roles whose categories this one has too.
	Includes []Ref `json:"includes,omitempty"`
}

// Host is one machine.
type Host struct {
	Name string `json:"name"`
	Pos  Pos    `json:"pos"`
	// Role is empty when the host has none.
	Role Ref `json:"role"`
	// Categories are needed on top of the role's.
	Categories []Ref `json:"categories,omitempty"`
	// SSH is the target used by rotation (user@host, an ssh_config alias).
	SSH string `json:"ssh,omitempty"`
	// Keys are the .sops.yaml anchor names of the host's keys; empty
	// means the anchor named like the host.
	Keys []Ref `json:"keys,omitempty"`
}

// Rotation is the `policy:` section.
type Rotation struct {
	Pos Pos `json:"pos"`
	// MaxAge is the maximum age per key kind; a kind not listed has none.
	MaxAge map[Kind]Age `json:"max_age,omitempty"`
	// RoleMaxAge is the maximum age of the keys of hosts of a role; the
	// stricter of it and the kind's applies.
	RoleMaxAge map[string]Age `json:"role_max_age,omitempty"`
	// Warn is how long before the due date a key is reported as due soon.
	Warn Age `json:"warn_before"`
	// NewDataKeyOnRevoke makes host remove and user remove give every
	// file the revoked key could read a new data key (default true).
	NewDataKeyOnRevoke bool `json:"new_data_key_on_revoke"`
	// EnforceFrom, when set, is the end of a grace period: before it an
	// overdue key is a warning, not an error ('keycycle init' sets it
	// when it adopts a repository with old keys).
	EnforceFrom    *time.Time `json:"enforce_from,omitempty"`
	EnforceFromPos Pos        `json:"enforce_from_pos,omitempty"`
}

// Age is a length of time written as 90d, 12w, 1y or 36h.
type Age struct {
	D    time.Duration `json:"seconds"`
	Text string        `json:"text"`
	Pos  Pos           `json:"pos"`
}

// Deploy is how a host gets its new configuration during rotation.
type Deploy struct {
	// Command is a shell command template; {host} and {ssh} are
	// replaced by the host's name and SSH target.
	Command string `json:"command,omitempty"`
	// RemoteKeycycle is keycycle on the hosts ("" for "keycycle" on
	// their $PATH); Sudo runs it with 'sudo -n'; SSHConfig is passed to
	// ssh -F.
	RemoteKeycycle string `json:"remote_keycycle,omitempty"`
	Sudo           bool   `json:"sudo,omitempty"`
	SSHConfig      string `json:"ssh_config,omitempty"`
	Pos            Pos    `json:"pos"`
}

// Category returns the category named name, or nil.
func (c *Config) Category(name string) *Category {
	for _, x := range c.Categories {
		if x.Name == name {
			return x
		}
	}
	return nil
}

// Role returns the role named name, or nil.
func (c *Config) Role(name string) *Role {
	for _, x := range c.Roles {
		if x.Name == name {
			return x
		}
	}
	return nil
}

// Host returns the host named name, or nil.
func (c *Config) Host(name string) *Host {
	for _, x := range c.Hosts {
		if x.Name == name {
			return x
		}
	}
	return nil
}
