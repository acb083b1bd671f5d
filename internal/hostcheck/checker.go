package hostcheck

import (
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/keycycle/keycycle/internal/textutil"
)

// Options says what to check and where.
type Options struct {
	// Root is the folder standing for the host's "/" ("" or "/" on the
	// host itself).
	Root string
	// RootUID is the uid that must own the host's keys: 0, or the owner
	// of Root when a prepared image is checked as an ordinary user.
	RootUID int
	// SSHKeyPaths are the SSH host keys sops-nix converts (default: the
	// manifests' ageSshKeyPaths, else DefaultSSHKey).
	SSHKeyPaths []string
	// KeyFile is the age key file (default: the manifests' ageKeyFile,
	// else DefaultKeyFile). KeyFileSet makes a missing key file a failure
	// rather than a note; a key file from a manifest sets it.
	KeyFile    string
	KeyFileSet bool
	// Registered are the recipients a repository lists (from --repo or
	// --recipients); nil skips the registration check. RegisteredFrom
	// names where they came from, for messages.
	Registered     []Registered
	RegisteredFrom string
	// Expect are the sops-nix manifests of --expect (manifest.json and
	// manifest-for-users.json), none without it.
	Expect []*Manifest
	// User is the user whose ~/.config/sops/age/keys.txt is checked.
	User string
	// Fix repairs modes and owners.
	Fix bool
	// MaxKeyAge, when positive, makes an older key file a warning.
	MaxKeyAge time.Duration
	// Audit is the text of `ausearch --raw` output to summarise, or nil.
	Audit []byte
	// Now is the time of the check.
	Now time.Time
	// Only, when not empty, keeps these check IDs in the report (and
	// repairs only for them); the others still run, as later checks
	// depend on earlier ones.
	Only []string

	// noSSHKeys: the manifests say sops-nix uses no SSH host key.
	noSSHKeys bool
}

// fixAction is one repair --fix may make: a mode, an owner, or both.
type fixAction struct {
	file file
	mode fs.FileMode // 0: leave
	uid  int         // -1: leave
	gid  int         // -1: leave
}

// checker runs the checks of one Run.
type checker struct {
	opts Options
	root Root
	rep  *Report
	// Set by the key checks, read by later ones.
	sshRecipients []Recipient
	keyRecipients []Recipient
}

// checkFunc is one check: its result and the repairs that would fix it.
type checkFunc func(c *checker) (Result, []fixAction)

// Run runs every check and returns the report. An error means the
// checks could not run at all (the root is not a folder).
func Run(opts Options) (*Report, error) {
	if opts.Root == "" {
		opts.Root = "/"
	}
	if st, err := os.Stat(opts.Root); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("the root %s is not a folder", opts.Root)
	}
	opts.keysFromManifests()
	if len(opts.SSHKeyPaths) == 0 && !opts.noSSHKeys {
		opts.SSHKeyPaths = []string{DefaultSSHKey}
	}
	if opts.KeyFile == "" {
		opts.KeyFile = DefaultKeyFile
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	c := &checker{opts: opts, root: Root{Dir: opts.Root}}
	c.rep = &Report{Time: opts.Now, Root: opts.Root, SecretsExpected: -1}
	checks := []checkFunc{
		checkSSHKeys, checkSSHKeyPerms, checkKeyFile, checkKeyFilePerms,
		checkLeftovers, checkRegistered, checkSecretsLink, checkSecretsPresent,
		checkSecretsOwnerMode, checkUserKey, checkKeyAge, checkAudit, checkSopsNixLoaded,
	}
	for _, f := range checks {
		res := c.run(f)
		if c.selected(res.ID) {
			c.rep.add(res)
		}
	}
	c.rep.Recipients = append(append([]Recipient(nil), c.sshRecipients...), c.keyRecipients...)
	if c.rep.KeyFileAge != nil {
		s := c.rep.KeyFileAge.Seconds()
		c.rep.KeyFileAgeSeconds = &s
	}
	return c.rep, nil
}

// run runs one check, and with --fix applies its repairs and runs it
// again, so that the result says what is left.
func (c *checker) run(f checkFunc) Result {
	res, fixes := f(c)
	if !c.opts.Fix || len(fixes) == 0 || !c.selected(res.ID) {
		return res
	}
	var fixed []string
	var failed []string
	for _, a := range fixes {
		done, err := a.apply()
		if err != nil {
			failed = append(failed, fmt.Sprintf("could not repair %s: %v", a.file.host, textutil.ErrReason(err)))
		}
		fixed = append(fixed, done...)
	}
	res, _ = f(c)
	res.Fixed = fixed
	res.Details = append(res.Details, failed...)
	if len(failed) > 0 {
		res.Status = worse(res.Status, Fail)
	}
	return res
}

// selected tells whether a check is kept in the report.
func (c *checker) selected(id string) bool {
	if len(c.opts.Only) == 0 {
		return true
	}
	for _, o := range c.opts.Only {
		if o == id {
			return true
		}
	}
	return false
}

// apply makes the repair and says what it changed. It works on the
// resolved file, never on a symbolic link.
func (a fixAction) apply() ([]string, error) {
	var done []string
	if a.uid >= 0 || a.gid >= 0 {
		uid, gid := ownerOf(a.file.info)
		if err := os.Lchown(a.file.real, a.uid, a.gid); err != nil {
			return done, err
		}
		nu, ng := uid, gid
		if a.uid >= 0 {
			nu = a.uid
		}
		if a.gid >= 0 {
			ng = a.gid
		}
		done = append(done, fmt.Sprintf("chown %d:%d %s (was %d:%d)", nu, ng, a.file.host, uid, gid))
	}
	if a.mode != 0 {
		if err := os.Chmod(a.file.real, a.mode); err != nil {
			return done, err
		}
		done = append(done, fmt.Sprintf("chmod %04o %s (was %04o)", a.mode, a.file.host, a.file.info.Mode().Perm()))
	}
	return done, nil
}

// result starts a result for a check.
func result(id, name string) Result {
	return Result{ID: id, Name: name, Status: OK}
}

// problem records a problem in res.
func (res *Result) problem(st Status, detail string) {
	res.Status = worse(res.Status, st)
	res.Details = append(res.Details, detail)
}

// skip marks res as not applicable.
func (res *Result) skip(msg string) {
	res.Skipped = true
	res.Message = msg
}
