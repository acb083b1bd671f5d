package rotation

import (
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/keycycle/keycycle/internal/agekey"
	"github.com/keycycle/keycycle/internal/hostcheck"
	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/sopsconfig"
	"github.com/keycycle/keycycle/internal/textutil"
)

// Resolve completes st, whose Key names the anchor to rotate and whose
// other fields hold what the operator passed (flags): what rotating the
// key means — its kind (a host's key, a user key kept in a host's file,
// an admin key), the host, how to reach it, its key file and the deploy
// command — from keys.yaml, keycycle.yaml and .sops.yaml.
func Resolve(cfgPath string, st Start) (Start, error) {
	root := filepath.Dir(cfgPath)
	key := st.Key
	if st.Now.IsZero() {
		st.Now = time.Now()
	}
	pol, err := policy.Load(root)
	if err != nil {
		return st, err
	}
	if pol.ConfigErr != nil {
		return st, textutil.Hintf("'keycycle check' shows what is wrong with keycycle.yaml", "%v", pol.ConfigErr)
	}
	cfg, err := sopsconfig.Load(cfgPath)
	if err != nil {
		return st, textutil.WithHint(err, "run 'keycycle check' to see what is wrong with .sops.yaml")
	}
	a, ok := cfg.AnchorByName(key)
	if !ok {
		return st, textutil.Hintf("'keycycle inventory' lists the keys .sops.yaml defines", "no key &%s in .sops.yaml", key)
	}
	kind, owner := KeyKind(cfg, pol, a)
	st.Kind = string(kind)
	if pol.Keys != nil {
		if k := pol.Keys.ByRecipient(a.Value); k != nil && k.Origin == policy.OriginSSHHostKey {
			st.FromSSHHostKey = kind == policy.KindHost
		}
	}
	switch kind {
	case policy.KindHost:
		if st.Host == "" {
			st.Host = key
			if owner != "" {
				st.Host = owner
			}
		}
		if st.KeyFile == "" {
			st.KeyFile = hostcheck.DefaultKeyFile
		}
	case policy.KindUser:
		if st.Host == "" {
			st.Host = owner
		}
		if st.Host == "" {
			return st, textutil.Hintf("pass --host NAME, the host whose secrets file keeps the user key",
				"cannot tell which host keeps user key &%s (no owner in %s, and its name is not USER_HOST)", key, policy.KeysFile)
		}
		user := strings.TrimSuffix(key, "_"+st.Host)
		if st.KeyFile == "" {
			st.KeyFile, st.User = defaultUserKeyFile(user), user
		}
		st.HostFile = hostFileOf(pol, st.Host)
	case policy.KindAdmin:
		return adminStart(st)
	default:
		return st, textutil.Hintf("rotate it by hand: 'keycycle user add' the new key, then 'keycycle user remove' the old one",
			"&%s is a%s %s key: keycycle rotates host keys, admin keys and user keys kept in a host's file", key, textutil.Article(string(kind)), kind)
	}
	if err := sopsconfig.CheckHostName(st.Host); err != nil {
		return st, err
	}
	reachFrom(&st, pol, root)
	return st, nil
}

// adminStart completes the start of an admin key's rotation: the new key
// is made here, into --key-file, else appended to sops's default key
// file (~/.config/sops/age/keys.txt).
func adminStart(st Start) (Start, error) {
	st.Host, st.Remote = "this machine", Remote{Local: true}
	if st.KeyFile == "" {
		// sops reads this file beside $SOPS_AGE_KEY_FILE, so the new key
		// is found there whatever else the operator uses.
		st.KeyFile = filepath.Join(agekey.OSEnv().ConfigDir, "sops", "age", "keys.txt")
	}
	abs, err := filepath.Abs(st.KeyFile)
	if err != nil {
		return st, err
	}
	// A key file that is a link (into a dotfiles checkout, say) is
	// written where it points: the atomic replace must not swap the link
	// for a file.
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	st.KeyFile = abs
	return st, nil
}

// reachFrom fills in how st's host is reached and deployed where the
// flags left it open: keycycle.yaml's deploy: settings and the host's
// ssh target, else keycycle on $PATH and ssh to the host's name.
func reachFrom(st *Start, pol *policy.Policy, root string) {
	var ph *policy.Host
	if pol.Config != nil {
		ph = pol.Config.Host(st.Host)
		d := pol.Config.Deploy
		if st.Deploy == "" {
			st.Deploy = d.Command
		}
		if st.Remote.Binary == "" {
			st.Remote.Binary = d.RemoteKeycycle
		}
		st.Remote.Sudo = st.Remote.Sudo || d.Sudo
		if st.Remote.SSHConfig == "" && d.SSHConfig != "" {
			st.Remote.SSHConfig = d.SSHConfig
			if !filepath.IsAbs(d.SSHConfig) {
				st.Remote.SSHConfig = filepath.Join(root, d.SSHConfig)
			}
		}
	}
	if st.Remote.Binary == "" {
		st.Remote.Binary = "keycycle"
	}
	if st.Remote.SSH == "" && ph != nil {
		st.Remote.SSH = ph.SSH
	}
	if st.Remote.SSH == "" && !st.Remote.Local {
		st.Remote.SSH = st.Host
	}
}

// KeyKind tells whether the anchor a is a host's key or a user key,
// and the host it belongs to: keys.yaml first, then keycycle.yaml's
// hosts, then the shape of .sops.yaml (a hosts group or a per-host rule;
// a user key named USER_HOST).
func KeyKind(cfg *sopsconfig.Config, pol *policy.Policy, a sopsconfig.Anchor) (policy.Kind, string) {
	if pol.Config != nil {
		for _, h := range pol.Config.Hosts {
			if slices.ContainsFunc(h.Keys, func(r policy.Ref) bool { return r.Name == a.Name }) {
				return policy.KindHost, h.Name
			}
		}
	}
	l := sopsconfig.Layout{Config: cfg, Dir: "sops"}
	hosts := map[string]bool{}
	for _, h := range l.Hosts() {
		hosts[h] = true
	}
	if pol.Keys != nil {
		if k := pol.Keys.ByRecipient(a.Value); k != nil && k.Kind != policy.KindUnknown && k.Kind != "" {
			owner := k.Owner
			if owner == "" {
				owner = policy.GuessOwner(a.Name, k.Kind, hosts)
			}
			return k.Kind, owner
		}
	}
	if hosts[a.Name] || pol.Config != nil && pol.Config.Host(a.Name) != nil {
		return policy.KindHost, a.Name
	}
	kind := policy.ClassifyKey(a.Name, a.Group, hosts, cfg.InEveryRule(a.Value))
	return kind, policy.GuessOwner(a.Name, kind, hosts)
}

// defaultUserKeyFile is where sops reads a user's age keys on a host
// (hostcheck.UserKeyPath under the home) by NixOS's default home,
// /home/USER (/root for root): the plan's guess, until the host names
// the user's home at new-key (userHome); --key-file names another.
func defaultUserKeyFile(user string) string {
	home := "/home/" + user
	if user == "root" {
		home = "/root"
	}
	return path.Join(home, hostcheck.UserKeyPath)
}

// hostFileOf is the host's own secrets file (keycycle.yaml files.host).
func hostFileOf(pol *policy.Policy, host string) string {
	spec := policy.DefaultHostFile
	if pol.Config != nil && pol.Config.Files.Host != "" {
		spec = pol.Config.Files.Host
	}
	return strings.ReplaceAll(spec, "{host}", host)
}
