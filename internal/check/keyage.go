package check

import (
	"fmt"
	"time"

	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/sopsconfig"
)

// keysChecks compares .keycycle/keys.yaml with .sops.yaml and measures
// key ages against the policy.
func (c *checker) keysChecks() {
	p := c.pol
	if p.Keys == nil {
		if p.KeysErr == nil && p.Config != nil && (len(p.Config.Policy.MaxAge) > 0 || len(p.Config.Policy.RoleMaxAge) > 0) {
			pos := p.Config.Policy.Pos
			c.add(IDNoKeysFile, p.ConfigFile, pos.Line, pos.Column,
				"the policy limits key ages, but there is no .keycycle/keys.yaml: no key's age is known",
				"run 'keycycle init' to record each key's creation date from the repository's history")
		}
		return
	}
	anchorOf := map[string]sopsconfig.Anchor{}
	for _, a := range c.r.Config.Anchors {
		if _, ok := anchorOf[a.Value]; !ok {
			anchorOf[a.Value] = a
		}
	}
	for _, a := range c.r.Config.Anchors {
		if anchorOf[a.Value].Pos != a.Pos {
			continue
		}
		k := p.Keys.ByRecipient(a.Value)
		switch {
		case k == nil:
			f := c.add(IDKeysOutOfStep, c.cfgFile, a.Pos.Line, a.Pos.Column,
				fmt.Sprintf("key &%s is not in %s", a.Name, p.KeysFile),
				"run 'keycycle init --force': it adds the keys it does not know and keeps what it knows")
			f.Anchor, f.Recipient = a.Name, a.Value
		case k.Retired != nil:
			f := c.add(IDRetiredKeyInUse, c.cfgFile, a.Pos.Line, a.Pos.Column,
				fmt.Sprintf("key &%s was retired on %s (%s:%d) but is still in .sops.yaml", a.Name, k.Retired.Format("2006-01-02"), p.KeysFile, k.Pos.Line),
				fmt.Sprintf("remove it ('keycycle host remove %s' or 'keycycle user remove %s'), then rekey", a.Name, a.Name))
			f.Anchor, f.Recipient = a.Name, a.Value
		case k.Name != "" && k.Name != a.Name && !contains(c.names[a.Value], k.Name):
			f := c.add(IDKeysOutOfStep, p.KeysFile, k.Pos.Line, k.Pos.Column,
				fmt.Sprintf("key %s is &%s in .sops.yaml (line %d)", k.Name, a.Name, a.Pos.Line),
				"rename one of them so that both files use the same name")
			f.Anchor, f.Recipient = a.Name, a.Value
		}
	}
	for _, k := range p.Keys.Keys {
		if k.Retired == nil && !c.listed[k.Recipient] {
			f := c.add(IDKeysOutOfStep, p.KeysFile, k.Pos.Line, k.Pos.Column,
				fmt.Sprintf("key %s is in use here but .sops.yaml does not list it", k.Name),
				"mark it retired (retired: DATE) if it was removed, or add it back to .sops.yaml")
			f.Recipient = k.Recipient
		}
	}
	if p.Config != nil {
		for _, k := range p.Keys.Keys {
			if k.Retired == nil && c.listed[k.Recipient] {
				c.keyAge(k, anchorOf[k.Recipient])
			}
		}
	}
}

// keyAge measures one key against its limit.
func (c *checker) keyAge(k *policy.Key, a sopsconfig.Anchor) {
	role := ""
	if h := c.pol.Config.Host(owner(k)); h != nil {
		role = h.Role.Name
	}
	limit, from := c.pol.Config.Policy.Limit(k.Kind, role)
	if limit == 0 {
		return
	}
	file, line, col := c.pol.KeysFile, k.Pos.Line, k.Pos.Column
	if a.Pos.Line > 0 {
		file, line, col = c.cfgFile, a.Pos.Line, a.Pos.Column
	}
	name := k.Name
	if name == "" {
		name = k.Recipient // no name: whole, the only way to find it
	}
	hint := fmt.Sprintf("rotate it: 'keycycle rotate start %s' (every overdue key: 'keycycle rotate due')", name)
	if k.Kind != policy.KindHost && k.Kind != policy.KindUser && k.Kind != policy.KindAdmin {
		hint = fmt.Sprintf("replace it by hand: 'keycycle user add NEW --age RECIPIENT', then 'keycycle user remove %s'", name)
	}
	var f *Finding
	switch {
	case k.Created == nil:
		f = c.add(IDKeyAgeUnknown, file, line, col,
			fmt.Sprintf("%s key %s has no known creation date, and %s limits its age to %s", k.Kind, name, from, days(limit)),
			"set created: in .keycycle/keys.yaml if you know it, or rotate the key so that its age is known")
	default:
		due := k.Created.Add(limit)
		age := c.now.Sub(*k.Created)
		warn := c.pol.Config.Policy.Warn.D
		switch {
		case !c.now.Before(due):
			f = c.add(IDKeyOverdue, file, line, col,
				fmt.Sprintf("%s key %s is %s old (created %s); %s allows %s: rotation was due %s",
					k.Kind, name, days(age), k.Created.Format("2006-01-02"), from, days(limit), due.Format("2006-01-02")), hint)
			if ef := c.pol.Config.Policy.EnforceFrom; ef != nil && c.now.Before(*ef) {
				f.Severity = Warning
				f.Message += fmt.Sprintf("; a warning until the grace period of policy.enforce_from ends on %s (in %s), an error from then on",
					ef.Format("2006-01-02"), days(ef.Sub(c.now)))
			}
		case !c.now.Before(due.Add(-warn)):
			f = c.add(IDKeyDueSoon, file, line, col,
				fmt.Sprintf("%s key %s is due for rotation on %s, in %s (%s allows %s)",
					k.Kind, name, due.Format("2006-01-02"), days(due.Sub(c.now)), from, days(limit)), hint)
		}
	}
	if f != nil {
		f.Recipient, f.Anchor = k.Recipient, a.Name
	}
}

// owner is the host whose role applies to a key.
func owner(k *policy.Key) string {
	if k.Owner != "" {
		return k.Owner
	}
	if k.Kind == policy.KindHost {
		return k.Name
	}
	return ""
}

func days(d time.Duration) string {
	n := int(d / (24 * time.Hour))
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
