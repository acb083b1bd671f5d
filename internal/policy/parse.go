package policy

import (
	"bytes"
	"os"

	"gopkg.in/yaml.v3"
)

// maxConfigSize bounds what is read of keycycle.yaml.
const maxConfigSize = 4 << 20

// LoadConfig reads keycycle.yaml at path. A missing file gives an error
// satisfying errors.Is(err, fs.ErrNotExist).
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseConfig(path, data)
}

// ParseConfig parses and validates keycycle.yaml. The error, when not
// nil, is an Errors listing every problem with its line.
func ParseConfig(file string, data []byte) (*Config, error) {
	c := &errs{file: file}
	if len(data) > maxConfigSize {
		c.at(nil, "the file is larger than %d bytes", maxConfigSize)
		return nil, c.result()
	}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil && err.Error() != "EOF" {
		return nil, yamlError(file, err)
	}
	cfg := &Config{Path: file, Files: Files{Shared: DefaultSharedFile, Host: DefaultHostFile}}
	cfg.Policy.NewDataKeyOnRevoke = true
	if len(doc.Content) > 0 {
		parseTop(c, cfg, doc.Content[0])
	}
	validate(c, cfg)
	if err := c.result(); err != nil {
		return nil, err
	}
	return cfg, nil
}

var topFields = []string{"version", "files", "categories", "generators", "roles", "hosts", "policy", "deploy", "vcs"}

func parseTop(c *errs, cfg *Config, root *yaml.Node) {
	for _, p := range c.mapping(root, "keycycle.yaml") {
		switch p.key.Value {
		case "version":
			if v := deref(p.val); v == nil || v.Tag != "!!int" || v.Value != "1" {
				c.at(p.val, "version must be 1, not %s", kindName(p.val))
			}
		case "files":
			parseFiles(c, cfg, p.val)
		case "categories":
			for _, q := range c.mapping(p.val, "categories") {
				if cat := parseCategory(c, q); cat != nil {
					cfg.Categories = append(cfg.Categories, cat)
				}
			}
		case "generators":
			for _, q := range c.mapping(p.val, "generators") {
				if g := parseGenerator(c, q); g != nil {
					cfg.Generators = append(cfg.Generators, g)
				}
			}
		case "roles":
			for _, q := range c.mapping(p.val, "roles") {
				if r := parseRole(c, q); r != nil {
					cfg.Roles = append(cfg.Roles, r)
				}
			}
		case "hosts":
			for _, q := range c.mapping(p.val, "hosts") {
				if h := parseHost(c, q); h != nil {
					cfg.Hosts = append(cfg.Hosts, h)
				}
			}
		case "policy":
			parseRotation(c, &cfg.Policy, p.val)
		case "deploy":
			parseDeploy(c, &cfg.Deploy, p.val)
		case "vcs":
			if v, ok := c.scalar(p.val, "vcs"); ok {
				cfg.VCS, cfg.VCSPos = v, posOf(deref(p.val))
				switch v {
				case "git", "jj", "auto", "none":
				default:
					c.at(p.val, "vcs must be git, jj, auto or none, not %s", quote(v))
				}
			}
		default:
			c.unknown(p.key, "keycycle.yaml", topFields...)
		}
	}
}

func parseFiles(c *errs, cfg *Config, n *yaml.Node) {
	for _, p := range c.mapping(n, "files") {
		v, ok := c.scalar(p.val, "files."+p.key.Value)
		if !ok {
			continue
		}
		switch p.key.Value {
		case "shared":
			if msg := filePathProblem(v, false); msg != "" {
				c.at(p.val, "files.shared %s", msg)
			}
			cfg.Files.Shared = v
		case "host":
			if msg := filePathProblem(v, true); msg != "" {
				c.at(p.val, "files.host %s", msg)
			}
			cfg.Files.Host = v
		default:
			c.unknown(p.key, "files", "shared", "host")
		}
	}
}

// parseCategory reads `name: {description, includes, secrets}`.
func parseCategory(c *errs, p pair) *Category {
	if !c.name(p.key, "category") {
		return nil
	}
	cat := &Category{Name: p.key.Value, Pos: posOf(p.key)}
	for _, q := range c.mapping(p.val, "category "+cat.Name) {
		switch q.key.Value {
		case "description":
			cat.Description, _ = c.scalar(q.val, "description")
		case "includes":
			cat.Includes = c.refs(q.val, "includes of category "+cat.Name)
		case "secrets":
			for _, s := range c.mapping(q.val, "secrets of category "+cat.Name) {
				if req, ok := parseSecret(c, s); ok {
					cat.Secrets = append(cat.Secrets, req)
				}
			}
		default:
			c.unknown(q.key, "category "+cat.Name, "description", "includes", "secrets")
		}
	}
	return cat
}

// parseSecret reads `path/of/secret: shared|host|FILE`.
func parseSecret(c *errs, p pair) (SecretReq, bool) {
	if msg := secretPathProblem(p.key.Value); msg != "" {
		c.at(p.key, "secret %s is not a secret path: %s", quote(p.key.Value), msg)
		return SecretReq{}, false
	}
	file, ok := c.scalar(p.val, "the file of secret "+p.key.Value+" (shared, host or a path)")
	if !ok {
		return SecretReq{}, false
	}
	if file != FileShared && file != FileHost {
		if msg := filePathProblem(file, true); msg != "" {
			c.at(p.val, "the file of secret %s must be shared, host or a path in the repository: %s", p.key.Value, msg)
			return SecretReq{}, false
		}
	}
	return SecretReq{Path: p.key.Value, File: file, Pos: posOf(p.key)}, true
}

// parseRole reads `name: [categories]` or `name: {categories, includes}`.
func parseRole(c *errs, p pair) *Role {
	if !c.name(p.key, "role") {
		return nil
	}
	r := &Role{Name: p.key.Value, Pos: posOf(p.key)}
	if v := deref(p.val); v != nil && v.Kind == yaml.SequenceNode {
		r.Categories = c.refs(v, "categories of role "+r.Name)
		return r
	}
	for _, q := range c.mapping(p.val, "role "+r.Name+" (a list of categories, or a mapping)") {
		switch q.key.Value {
		case "categories":
			r.Categories = c.refs(q.val, "categories of role "+r.Name)
		case "includes":
			r.Includes = c.refs(q.val, "includes of role "+r.Name)
		default:
			c.unknown(q.key, "role "+r.Name, "categories", "includes")
		}
	}
	return r
}

// parseHost reads `name: ROLE` or `name: {role, categories, ssh, keys}`.
func parseHost(c *errs, p pair) *Host {
	if !c.name(p.key, "host") {
		return nil
	}
	h := &Host{Name: p.key.Value, Pos: posOf(p.key)}
	if v := deref(p.val); v != nil && v.Kind == yaml.ScalarNode && !isNull(v) {
		h.Role = Ref{Name: v.Value, Pos: posOf(v)}
		return h
	}
	for _, q := range c.mapping(p.val, "host "+h.Name+" (a role name, or a mapping)") {
		switch q.key.Value {
		case "role":
			if v, ok := c.scalar(q.val, "role of host "+h.Name); ok {
				h.Role = Ref{Name: v, Pos: posOf(deref(q.val))}
			}
		case "categories":
			h.Categories = c.refs(q.val, "categories of host "+h.Name)
		case "ssh":
			h.SSH, _ = c.scalar(q.val, "ssh of host "+h.Name)
		case "keys":
			h.Keys = c.refs(q.val, "keys of host "+h.Name)
		default:
			c.unknown(q.key, "host "+h.Name, "role", "categories", "ssh", "keys")
		}
	}
	return h
}

// refs reads a list of names (a single name counts as a list of one).
func (c *errs) refs(n *yaml.Node, what string) []Ref {
	var out []Ref
	for _, item := range c.sequence(n, what, true) {
		if v, ok := c.scalar(item, "an entry of "+what); ok {
			out = append(out, Ref{Name: v, Pos: posOf(item)})
		}
	}
	return out
}

func parseDeploy(c *errs, d *Deploy, n *yaml.Node) {
	v := deref(n)
	if v != nil && v.Kind == yaml.ScalarNode {
		d.Command, _ = c.scalar(v, "deploy")
		d.Pos = posOf(v)
	} else {
		d.Pos = posOf(v)
		for _, p := range c.mapping(n, "deploy") {
			switch p.key.Value {
			case "command":
				d.Command, _ = c.scalar(p.val, "deploy.command")
				d.Pos = posOf(deref(p.val))
			case "remote_keycycle":
				d.RemoteKeycycle, _ = c.scalar(p.val, "deploy.remote_keycycle")
			case "ssh_config":
				d.SSHConfig, _ = c.scalar(p.val, "deploy.ssh_config")
			case "sudo":
				d.Sudo, _ = c.boolean(p.val, "deploy.sudo")
			default:
				c.unknown(p.key, "deploy", "command", "remote_keycycle", "ssh_config", "sudo")
			}
		}
	}
	if msg := templateProblem(d.Command); msg != "" {
		c.atPos(d.Pos, "deploy command %s", msg)
	}
}
