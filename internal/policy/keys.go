package policy

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// KeysFile is where keycycle keeps its metadata per recipient, relative
// to the repository root.
const KeysFile = ".keycycle/keys.yaml"

// Origin is how a key came to be.
type Origin string

// The origins of keys.
const (
	// OriginSSHHostKey: derived from a host's SSH ed25519 key (ssh-to-age),
	// as sops-nix's sshKeyPaths uses it.
	OriginSSHHostKey Origin = "ssh-host-key"
	// OriginGenerated: an age key keycycle (or age-keygen) generated.
	OriginGenerated Origin = "generated"
	// OriginImported: a key that existed before keycycle knew it.
	OriginImported Origin = "imported"
)

// Unknown is written for a creation date no history tells.
const Unknown = "unknown"

// Keys is a parsed .keycycle/keys.yaml.
type Keys struct {
	Path string `json:"path"`
	Keys []*Key `json:"keys"`
}

// Key is the public metadata of one recipient.
type Key struct {
	// Name is the .sops.yaml anchor name.
	Name      string `json:"name"`
	Recipient string `json:"recipient"`
	Kind      Kind   `json:"kind"`
	// Owner is the host the key belongs to (a host key, or a user key
	// deployed on that host), empty for none.
	Owner  string `json:"owner,omitempty"`
	Origin Origin `json:"origin,omitempty"`
	// Created is nil when unknown.
	Created *time.Time `json:"created,omitempty"`
	// Retired is nil while the key is in use.
	Retired    *time.Time `json:"retired,omitempty"`
	ReplacedBy string     `json:"replaced_by,omitempty"`
	Pos        Pos        `json:"pos"`
}

// ByRecipient returns the entry for a recipient, or nil.
func (k *Keys) ByRecipient(r string) *Key {
	for _, x := range k.Keys {
		if x.Recipient == r {
			return x
		}
	}
	return nil
}

// Replace records that the key with recipient old was replaced by k: the
// old entry retired at now with replaced_by k.Name (an entry is made
// for it when missing, with k's name, kind and owner), and k added,
// created at now. It reports false and changes nothing when k's
// recipient is listed already.
func (k *Keys) Replace(old string, nk Key, now time.Time) bool {
	if k.ByRecipient(nk.Recipient) != nil {
		return false
	}
	o := k.ByRecipient(old)
	if o == nil {
		o = &Key{Name: nk.Name, Recipient: old, Kind: nk.Kind, Owner: nk.Owner}
		k.Keys = append(k.Keys, o)
	}
	retired, created := now, now
	o.Retired, o.ReplacedBy = &retired, nk.Name
	nk.Created, nk.Retired, nk.ReplacedBy = &created, nil, ""
	k.Keys = append(k.Keys, &nk)
	return true
}

// LoadKeys reads .keycycle/keys.yaml at path.
func LoadKeys(path string) (*Keys, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseKeys(path, data)
}

var keyFields = []string{"name", "recipient", "kind", "owner", "origin", "created", "retired", "replaced_by"}

// ParseKeys parses and validates .keycycle/keys.yaml.
func ParseKeys(file string, data []byte) (*Keys, error) {
	c := &errs{file: file}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil && err.Error() != "EOF" {
		return nil, yamlError(file, err)
	}
	ks := &Keys{Path: file}
	if len(doc.Content) > 0 {
		for _, p := range c.mapping(doc.Content[0], "keys.yaml") {
			switch p.key.Value {
			case "version":
				if v := deref(p.val); v == nil || v.Tag != "!!int" || v.Value != "1" {
					c.at(p.val, "version must be 1, not %s", kindName(p.val))
				}
			case "keys":
				for _, item := range c.sequence(p.val, "keys", false) {
					if k := parseKey(c, item); k != nil {
						ks.Keys = append(ks.Keys, k)
					}
				}
			default:
				c.unknown(p.key, "keys.yaml", "version", "keys")
			}
		}
	}
	validateKeys(c, ks)
	if err := c.result(); err != nil {
		return nil, err
	}
	return ks, nil
}

func parseKey(c *errs, n *yaml.Node) *Key {
	k := &Key{Pos: posOf(n)}
	for _, p := range c.mapping(n, "a key entry") {
		what := p.key.Value
		switch what {
		case "created", "retired":
			v, ok := c.scalar(p.val, what)
			if !ok || (what == "created" && v == Unknown) {
				continue
			}
			t, err := ParseTime(v)
			if err != nil {
				c.at(p.val, "%s: %v", what, err)
				continue
			}
			if what == "created" {
				k.Created = &t
			} else {
				k.Retired = &t
			}
		case "name", "recipient", "kind", "owner", "origin", "replaced_by":
			v, ok := c.scalar(p.val, what)
			if !ok {
				continue
			}
			switch what {
			case "name":
				k.Name = v
			case "recipient":
				k.Recipient = strings.TrimSpace(v)
			case "kind":
				k.Kind = Kind(v)
				if !validKind(k.Kind) && k.Kind != KindUnknown {
					c.at(p.val, "kind must be host, user, admin, backup or unknown, not %s", quote(v))
				}
			case "owner":
				k.Owner = v
			case "origin":
				k.Origin = Origin(v)
				if k.Origin != OriginSSHHostKey && k.Origin != OriginGenerated && k.Origin != OriginImported {
					c.at(p.val, "origin must be ssh-host-key, generated or imported, not %s", quote(v))
				}
			case "replaced_by":
				k.ReplacedBy = v
			}
		default:
			c.unknown(p.key, "a key entry", keyFields...)
		}
	}
	if k.Recipient == "" {
		c.at(n, "a key entry has no recipient")
		return nil
	}
	if k.Kind == "" {
		k.Kind = KindUnknown
	}
	return k
}

func validateKeys(c *errs, ks *Keys) {
	byName := map[string]bool{}
	byRecipient := map[string]bool{}
	for _, k := range ks.Keys {
		if byRecipient[k.Recipient] {
			c.atPos(k.Pos, "recipient %s is listed twice", quote(k.Recipient))
		}
		byRecipient[k.Recipient] = true
		if k.Name != "" {
			byName[k.Name] = true
		}
		if k.Retired != nil && k.Created != nil && k.Retired.Before(*k.Created) {
			c.atPos(k.Pos, "key %s is retired before it was created", k.Name)
		}
	}
	for _, k := range ks.Keys {
		if k.ReplacedBy != "" && !byName[k.ReplacedBy] {
			c.atPos(k.Pos, "key %s is replaced by %s, which is not in the file", k.Name, quote(k.ReplacedBy))
		}
	}
}

// ParseTime reads an RFC 3339 time or a date (2006-01-02, UTC).
func ParseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%s is not a date: write 2024-05-01 or 2024-05-01T10:00:00Z", quote(s))
}

// Marshal writes the file as keycycle keeps it: a header comment, one
// entry per key in order, "unknown" for a creation date not known.
func (k *Keys) Marshal() ([]byte, error) {
	list := &yaml.Node{Kind: yaml.SequenceNode}
	for _, key := range k.Keys {
		m := &yaml.Node{Kind: yaml.MappingNode}
		add := func(name, value string) {
			if value != "" {
				m.Content = append(m.Content, str(name), str(value))
			}
		}
		add("name", key.Name)
		add("recipient", key.Recipient)
		add("kind", string(key.Kind))
		add("owner", key.Owner)
		add("origin", string(key.Origin))
		add("created", FormatTime(key.Created))
		if key.Retired != nil {
			add("retired", FormatTime(key.Retired))
		}
		add("replaced_by", key.ReplacedBy)
		list.Content = append(list.Content, m)
	}
	root := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		str("version"), {Kind: yaml.ScalarNode, Tag: "!!int", Value: "1"},
		str("keys"), list,
	}}
	root.HeadComment = "Public metadata of every recipient in .sops.yaml, kept by keycycle.\nNo private key is ever written here. Docs: docs/policy.md"
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}); err != nil {
		return nil, err
	}
	return buf.Bytes(), enc.Close()
}

// FormatTime writes t as RFC 3339 in UTC, or "unknown" for nil.
func FormatTime(t *time.Time) string {
	if t == nil {
		return Unknown
	}
	return t.UTC().Format(time.RFC3339)
}

func str(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}
