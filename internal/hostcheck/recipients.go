package hostcheck

import (
	"fmt"
	"strings"

	"github.com/keycycle/keycycle/internal/agekey"
	"github.com/keycycle/keycycle/internal/sopsconfig"
)

// Registered is one recipient a repository lists.
type Registered struct {
	// Value is the recipient as written (age1… or "ssh-ed25519 AAAA…").
	Value string
	// Used is true when a creation rule encrypts to it; an anchor under
	// keys: that no rule uses is listed with Used false.
	Used bool
	// Where is "line N" or the anchor name, for messages.
	Where string
}

// RegisteredFromConfig lists the age recipients of a .sops.yaml: every
// age key of every creation rule, and the anchors under keys:.
func RegisteredFromConfig(cfg *sopsconfig.Config) []Registered {
	var out []Registered
	used := map[string]bool{}
	for _, r := range cfg.Rules {
		for _, g := range r.KeyGroups {
			for _, k := range g.Keys {
				if k.Type != sopsconfig.KeyAge || used[k.Value] {
					continue
				}
				used[k.Value] = true
				out = append(out, Registered{Value: k.Value, Used: true, Where: fmt.Sprintf("line %d", k.Pos.Line)})
			}
		}
	}
	for _, a := range append(append([]sopsconfig.Anchor(nil), cfg.Anchors...), cfg.OtherAnchors...) {
		if !used[a.Value] {
			used[a.Value] = true
			out = append(out, Registered{Value: a.Value, Where: "&" + a.Name})
		}
	}
	return out
}

// RegisteredFromList reads a list of recipients, one per line ('#'
// comments and blank lines skipped), all counted as used.
func RegisteredFromList(data []byte) []Registered {
	var out []Registered
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, Registered{Value: line, Used: true, Where: fmt.Sprintf("line %d", n+1)})
	}
	return out
}

// registration is how one host recipient stands in the repository.
type registration struct {
	used, anchorOnly, sshForm bool
}

// lookup finds a host recipient among the registered ones: as its age1
// form, or as the ssh-ed25519 form that sops-nix cannot use.
func lookup(reg []Registered, rec Recipient) registration {
	var st registration
	for _, r := range reg {
		v := strings.TrimSpace(r.Value)
		switch {
		case v == rec.Age:
			if r.Used {
				st.used = true
			} else {
				st.anchorOnly = true
			}
		case rec.SSH != "" && sameSSHKey(v, rec.SSH):
			st.sshForm = true
		}
	}
	return st
}

// sameSSHKey compares two authorized_keys lines by type and key.
func sameSSHKey(a, b string) bool {
	ra, err := agekey.ParseRecipient(a)
	if err != nil {
		return false
	}
	rb, err := agekey.ParseRecipient(b)
	return err == nil && ra.String == rb.String
}

// checkRegistered is HC006: the host's recipients in .sops.yaml.
func checkRegistered(c *checker) (Result, []fixAction) {
	res := result("HC006", "recipient-registered")
	if c.opts.Registered == nil {
		res.skip("not checked: pass --repo DIR or --recipients FILE")
		return res, nil
	}
	all := append(append([]Recipient(nil), c.sshRecipients...), c.keyRecipients...)
	if len(all) == 0 {
		res.skip("no host recipient to look for (see HC001, HC003)")
		return res, nil
	}
	usable, sshOnly := 0, false
	for i := range all {
		st := lookup(c.opts.Registered, all[i])
		yes := st.used
		all[i].Registered = &yes
		switch {
		case st.used:
			usable++
		case st.sshForm:
			sshOnly = true
			res.problem(Warn, fmt.Sprintf("%s: %s lists its ssh-ed25519 form, which sops-nix cannot decrypt for; it needs %s", all[i].Source, c.opts.RegisteredFrom, all[i].Age))
		case st.anchorOnly:
			res.problem(Warn, fmt.Sprintf("%s: %s is an anchor under keys: that no creation rule uses", all[i].Source, all[i].Age))
		default:
			res.Details = append(res.Details, fmt.Sprintf("%s: %s not in %s", all[i].Source, all[i].Age, c.opts.RegisteredFrom))
		}
	}
	copy(c.sshRecipients, all[:len(c.sshRecipients)])
	copy(c.keyRecipients, all[len(c.sshRecipients):])
	if usable > 0 {
		res.Message = fmt.Sprintf("%d of the host's %d recipient(s) in %s", usable, len(all), c.opts.RegisteredFrom)
		if res.Status != OK {
			res.Hint = "replace ssh-ed25519 entries by their age1 form ('keycycle ssh-to-age'), and remove unused anchors or add them to a rule"
		}
		return res, nil
	}
	res.Status = Fail
	res.Message = fmt.Sprintf("none of the host's recipients is in %s: sops-nix cannot decrypt on this host", c.opts.RegisteredFrom)
	res.Hint = "register the host: 'keycycle host add NAME --age " + all[0].Age + "' in the secrets repository, then deploy"
	if sshOnly {
		res.Hint = "the repository lists the host's ssh-ed25519 key, and sops-nix decrypts with its age1 form: " +
			"replace it by " + all[0].Age + " ('keycycle ssh-to-age' converts) and run 'keycycle rekey'"
	}
	return res, nil
}
