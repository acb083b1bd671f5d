package check

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/repo"
	"github.com/keycycle/keycycle/internal/textutil"
)

// policyChecks runs the checks keycycle.yaml and .keycycle/keys.yaml
// make possible. Each file that does not parse is reported, and the
// checks that need it are skipped.
func (c *checker) policyChecks() {
	p := c.pol
	if p == nil {
		return
	}
	c.policyErrors(p.ConfigErr, IDPolicyInvalid, "fix keycycle.yaml there; docs/policy.md describes every field")
	c.policyErrors(p.KeysErr, IDKeysInvalid, "fix .keycycle/keys.yaml there, or rebuild it with 'keycycle init --force'")
	if c.r.Config == nil {
		return // .sops.yaml unreadable: KC001 says so
	}
	if hosts := c.hosts; hosts != nil {
		for i, h := range p.Config.Hosts {
			c.hostChecks(hosts, i, h)
		}
		c.missingSecrets(hosts)
		c.unlistedHosts(hosts)
	}
	c.keysChecks()
}

func (c *checker) policyErrors(err error, id, hint string) {
	if err == nil {
		return
	}
	var es policy.Errors
	if !errors.As(err, &es) {
		c.add(id, "", 0, 0, textutil.OneLine(err.Error()), hint)
		return
	}
	for _, e := range es {
		c.add(id, e.File, e.Line, e.Column, e.Msg, hint)
	}
}

// hostIndex is what the host checks share. It is made before the files
// are read; hostsFile fills it in as each file is.
type hostIndex struct {
	cfg *policy.Config
	// entries holds the files some host needs, by repository-relative
	// path: the only files the policy checks keep whole.
	entries map[string]*repo.Entry
	// recips maps a host name to its recipients in .sops.yaml.
	recips map[string][]string
	// owner maps a recipient to the host it belongs to.
	owner map[string]string
	// needs maps host → file → the requirements it has in that file.
	needs map[string]map[string][]policy.Requirement
	// cats maps a host to its categories (HostCategories).
	cats map[string][]string
	// excess holds, per host (in cfg.Hosts order), the excess-access
	// findings of the files read so far, in path order.
	excess [][]Finding
	// baseNames are the anchor names (lowercase) that some secrets file
	// is named after (sops/NAME.yaml): isHostKey's hint.
	baseNames map[string]bool
}

func newHostIndex(c *checker, p *policy.Policy) *hostIndex {
	x := &hostIndex{cfg: p.Config, entries: map[string]*repo.Entry{}, recips: map[string][]string{},
		owner: map[string]string{}, needs: map[string]map[string][]policy.Requirement{},
		cats: map[string][]string{}, excess: make([][]Finding, len(p.Config.Hosts)), baseNames: map[string]bool{}}
	anchors := map[string]string{}
	for _, a := range c.r.Config.Anchors {
		if _, ok := anchors[a.Name]; !ok {
			anchors[a.Name] = a.Value
		}
		x.baseNames[strings.ToLower(a.Name)] = false
	}
	for _, h := range p.Config.Hosts {
		add := func(v string) {
			if _, taken := x.owner[v]; !taken {
				x.owner[v] = h.Name
				x.recips[h.Name] = append(x.recips[h.Name], v)
			}
		}
		for _, name := range h.KeyNames() {
			if v, ok := anchors[name]; ok {
				add(v)
			}
		}
		if p.Keys != nil {
			for _, k := range p.Keys.Keys {
				if k.Kind == policy.KindHost && k.Owner == h.Name && k.Retired == nil && c.listed[k.Recipient] {
					add(k.Recipient)
				}
			}
		}
		x.needs[h.Name] = map[string][]policy.Requirement{}
		for _, r := range p.Config.Requirements(h) {
			x.needs[h.Name][r.File] = append(x.needs[h.Name][r.File], r)
		}
		x.cats[h.Name] = p.Config.HostCategories(h)
	}
	return x
}

// hostsFile notes what the host checks need of one file: the file itself
// when a host needs it, which hosts can decrypt it without needing it,
// and whether it is named after an anchor.
func (c *checker) hostsFile(x *hostIndex, e *repo.Entry) {
	for _, h := range x.cfg.Hosts {
		if x.needs[h.Name][e.Rel] != nil {
			x.entries[e.Rel] = e
			break
		}
	}
	base := e.Rel[strings.LastIndex(e.Rel, "/")+1:]
	if i := strings.IndexByte(base, '.'); i > 0 {
		base = base[:i]
	}
	if lb := strings.ToLower(base); !x.baseNames[lb] {
		if _, anchor := x.baseNames[lb]; anchor {
			x.baseNames[lb] = true
		}
	}
	if e.File == nil {
		return
	}
	for i, h := range x.cfg.Hosts {
		recips := x.recips[h.Name]
		if len(recips) == 0 || len(x.cats[h.Name]) == 0 || x.needs[h.Name][e.Rel] != nil {
			continue
		}
		if f, ok := c.excessAccess(x, h, e, recips); ok {
			x.excess[i] = append(x.excess[i], f)
		}
	}
}

// hostChecks: the host has a key, and can decrypt (now and after the
// next rekey) every file it needs, and no file it does not need. i is
// its place among keycycle.yaml's hosts.
func (c *checker) hostChecks(x *hostIndex, i int, h *policy.Host) {
	cfgFile := c.pol.ConfigFile
	recips := x.recips[h.Name]
	if len(recips) == 0 {
		c.add(IDHostNotInSops, cfgFile, h.Pos.Line, h.Pos.Column,
			fmt.Sprintf("host %s has no key in .sops.yaml (no anchor &%s)", h.Name, strings.Join(h.KeyNames(), ", &")),
			fmt.Sprintf("a removed host: delete hosts.%s from keycycle.yaml; a new one: 'keycycle host add %s --ssh-keyscan ADDRESS'; or name its anchors in hosts.%s.keys", h.Name, h.Name, h.Name))
		return
	}
	for _, file := range sortedKeys(x.needs[h.Name]) {
		e := x.entries[file]
		if e == nil || e.File == nil {
			continue // missing (KC203) or unreadable (KC105, KC107)
		}
		c.canRead(e, h, recips, x.needs[h.Name][file])
	}
	if len(x.cats[h.Name]) == 0 {
		return // no role, no categories: nothing declared to compare with
	}
	c.out = append(c.out, x.excess[i]...)
}

// excessAccess is the finding for a host that can decrypt a file (now,
// or after the next rekey) it needs no secret from.
func (c *checker) excessAccess(x *hostIndex, h *policy.Host, e *repo.Entry, recips []string) (Finding, bool) {
	k, ok := reaches(e, recips)
	if !ok {
		return Finding{}, false
	}
	line, col := 0, 0
	where := "its metadata lists the host's key"
	if pos, ok := c.ruleKeyPos(e, k); ok {
		line, col = pos.Line, pos.Column
		where = fmt.Sprintf("rule %d lists the host's key", e.Rule+1)
	}
	file := e.Rel
	if line > 0 {
		file = c.cfgFile
	}
	f := finding(IDExcessAccess, file, line, col,
		fmt.Sprintf("host %s can decrypt %s but needs no secret from it (%s; its categories: %s)",
			h.Name, e.Rel, where, strings.Join(x.cats[h.Name], ", ")),
		fmt.Sprintf("remove the host from the rule for %s and run 'keycycle rekey %s' (a new data key), or give the host a category that needs the file", e.Rel, e.Rel))
	f.Recipient, f.Anchor = k, first(c.names[k])
	return f, true
}

// canRead reports a host that cannot decrypt a file it needs, now (its
// metadata) or after the next rekey (its rule).
func (c *checker) canRead(e *repo.Entry, h *policy.Host, recips []string, reqs []policy.Requirement) {
	has := set(e.File.Meta.Recipients())
	wantSet := map[string]bool{}
	if e.Wanted != nil {
		wantSet = set(e.Wanted.Recipients())
	}
	inFile, inRule := anyIn(recips, has), anyIn(recips, wantSet)
	what := requirementList(reqs)
	switch {
	case e.Wanted != nil && !inRule:
		rule := c.r.Config.Rules[e.Rule]
		state := "is not encrypted for it either"
		if inFile {
			state = "is still encrypted for it, until the next rekey"
		}
		f := c.add(IDHostCannotRead, c.cfgFile, rule.Pos.Line, rule.Pos.Column,
			fmt.Sprintf("rule %d (for %s) does not list host %s, which needs %s from it; the file %s: the host fails at boot",
				e.Rule+1, e.Rel, h.Name, what, state),
			fmt.Sprintf("add *%s to rule %d and run 'keycycle rekey %s'", first(c.names[recips[0]]), e.Rule+1, e.Rel))
		f.Recipient, f.Anchor = recips[0], first(c.names[recips[0]])
	case !inFile:
		f := c.add(IDHostCannotRead, e.Rel, 0, 0,
			fmt.Sprintf("host %s needs %s from this file, but it is not encrypted for the host: it fails at boot", h.Name, what),
			updatekeysHint(e.Rel))
		f.Recipient, f.Anchor = recips[0], first(c.names[recips[0]])
	}
}

// missingSecrets reports each required secret path absent from its
// file, once per file and path, naming every host that needs it.
func (c *checker) missingSecrets(x *hostIndex) {
	type miss struct {
		hosts []string
		req   policy.Requirement
	}
	missing := map[string]*miss{}
	absent := map[string]*miss{}
	for _, h := range x.cfg.Hosts {
		for file, reqs := range x.needs[h.Name] {
			e := x.entries[file]
			if e == nil && exists(filepath.Join(c.r.Root, filepath.FromSlash(file))) {
				continue // excluded, or not a secrets file: not for this check
			}
			if e == nil {
				if absent[file] == nil {
					absent[file] = &miss{req: reqs[0]}
				}
				absent[file].hosts = append(absent[file].hosts, h.Name)
				continue
			}
			if e.File == nil {
				continue
			}
			for _, r := range reqs {
				if hasSecret(e.File, r.Path) {
					continue
				}
				k := file + "\x00" + r.Path
				if missing[k] == nil {
					missing[k] = &miss{req: r}
				}
				missing[k].hosts = append(missing[k].hosts, h.Name)
			}
		}
	}
	for _, k := range sortedKeys(absent) {
		m := absent[k]
		sort.Strings(m.hosts)
		c.add(IDMissingFile, c.pol.ConfigFile, m.req.Pos.Line, m.req.Pos.Column,
			fmt.Sprintf("%s does not exist, but host %s needs secrets from it (category %s)", k, strings.Join(m.hosts, ", "), m.req.Category),
			fmt.Sprintf("create it with 'keycycle secret ensure' (generators) or 'keycycle secret set %s PATH' ('keycycle host add' creates sops/HOST.yaml), or fix the file in keycycle.yaml (%s:%d)", k, c.pol.ConfigFile, m.req.Pos.Line))
	}
	for _, k := range sortedKeys(missing) {
		m := missing[k]
		sort.Strings(m.hosts)
		c.add(IDMissingSecret, m.req.File, 0, 0,
			fmt.Sprintf("secret %s is missing, but host %s needs it (category %s, %s:%d)",
				m.req.Path, strings.Join(m.hosts, ", "), m.req.Category, c.pol.ConfigFile, m.req.Pos.Line),
			missingHint(x.cfg, m.req))
	}
}

// missingHint names the command that adds a missing secret: ensure when
// a generator makes it, set otherwise.
func missingHint(cfg *policy.Config, r policy.Requirement) string {
	if cfg.Generator(r.Path) != nil {
		return "generate it with 'keycycle secret ensure' (its generator is in keycycle.yaml)"
	}
	for _, g := range cfg.Generators {
		if g.PublicSecret == r.Path {
			return fmt.Sprintf("generate %s with 'keycycle secret ensure': its generator writes this public key beside it", g.Path)
		}
	}
	return fmt.Sprintf("set it with 'keycycle secret set %s %s' (value on stdin), declare a generator for it and run 'keycycle secret ensure', or take category %s away from the host's role in keycycle.yaml", r.File, r.Path, r.Category)
}

// unlistedHosts reports host keys of .sops.yaml that belong to no host
// of keycycle.yaml.
func (c *checker) unlistedHosts(x *hostIndex) {
	hostFiles := x.baseNames // only true matters: GuessKind looks up anchor names
	for _, a := range c.r.Config.Anchors {
		if _, ok := x.owner[a.Value]; ok || !c.isHostKey(a.Name, a.Value, a.Group, hostFiles) {
			continue
		}
		if c.pol.Keys != nil {
			if k := c.pol.Keys.ByRecipient(a.Value); k != nil && k.Retired != nil {
				continue // KC211 reports it
			}
		}
		f := c.add(IDHostNotInPolicy, c.cfgFile, a.Pos.Line, a.Pos.Column,
			fmt.Sprintf("host key &%s belongs to no host in keycycle.yaml", a.Name),
			fmt.Sprintf("add '%s: ROLE' under hosts: in keycycle.yaml, or remove the host with 'keycycle host remove %s'", a.Name, a.Name))
		f.Recipient, f.Anchor = a.Value, a.Name
	}
}

// isHostKey says whether a key is a host's: keys.yaml's kind when it
// lists the key, else a guess from its group and name.
func (c *checker) isHostKey(name, value string, group []string, hostFiles map[string]bool) bool {
	if c.pol.Keys != nil {
		if k := c.pol.Keys.ByRecipient(value); k != nil {
			return k.Kind == policy.KindHost
		}
	}
	return policy.GuessKind(name, group, hostFiles) == policy.KindHost
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
