package rotation

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/keycycle/keycycle/internal/audit"
	"github.com/keycycle/keycycle/internal/rotation/hostkey"
)

// Reach is a correction of how a rotation reaches and deploys its host
// (a wrong --ssh at start, a moved host): nil fields stay as journaled.
type Reach struct {
	SSH, SSHConfig, Binary, Deploy *string
	Sudo, Local                    *bool
}

// ReachOf is the correction the operator's flags ask for: remote and
// deploy hold their values, changed tells which flags were given (ssh,
// ssh-config, remote-keycycle, deploy, sudo, local), and only those
// change the journal. A relative --ssh-config is made absolute.
func ReachOf(remote Remote, deploy string, changed func(flag string) bool) (Reach, error) {
	if changed("ssh-config") && remote.SSHConfig != "" {
		abs, err := filepath.Abs(remote.SSHConfig)
		if err != nil {
			return Reach{}, err
		}
		remote.SSHConfig = abs
	}
	return Reach{SSH: given(changed("ssh"), &remote.SSH), SSHConfig: given(changed("ssh-config"), &remote.SSHConfig),
		Binary: given(changed("remote-keycycle"), &remote.Binary), Deploy: given(changed("deploy"), &deploy),
		Sudo: given(changed("sudo"), &remote.Sudo), Local: given(changed("local"), &remote.Local)}, nil
}

// given is v when ok, else nil.
func given[T any](ok bool, v *T) *T {
	if ok {
		return v
	}
	return nil
}

// ApplyReach writes the corrections c into j, in memory, and says what
// changed (nothing: nil).
func (j *Journal) ApplyReach(c Reach) []string {
	var notes []string
	str := func(name string, field *string, v *string) {
		if v != nil && *v != *field {
			notes = append(notes, fmt.Sprintf("%s %q → %q", name, *field, *v))
			*field = *v
		}
	}
	flag := func(name string, field *bool, v *bool) {
		if v != nil && *v != *field {
			notes = append(notes, fmt.Sprintf("%s %t → %t", name, *field, *v))
			*field = *v
		}
	}
	str("ssh", &j.Remote.SSH, c.SSH)
	str("ssh_config", &j.Remote.SSHConfig, c.SSHConfig)
	str("remote_keycycle", &j.Remote.Binary, c.Binary)
	str("deploy", &j.Deploy, c.Deploy)
	flag("sudo", &j.Remote.Sudo, c.Sudo)
	flag("local", &j.Remote.Local, c.Local)
	if len(notes) > 0 && j.Remote.SSH == "" && !j.Remote.Local {
		j.Remote.SSH = j.Host
	}
	return notes
}

// SetReach writes the corrections c into j, records them in its history
// and the audit log, and reports what changed ("" for nothing).
func (r *Runner) SetReach(ctx context.Context, j *Journal, c Reach) (string, error) {
	if !j.State.Open() {
		return "", fmt.Errorf("rotation %s is %s already", j.ID, j.State)
	}
	notes := j.ApplyReach(c)
	if len(notes) == 0 {
		return "", nil
	}
	note := "reach changed: " + strings.Join(notes, ", ")
	if err := r.Save(j, note); err != nil {
		return "", err
	}
	r.repo.Lock()
	defer r.repo.Unlock()
	e := audit.Entry{Note: "rotation " + j.ID + ": " + note}
	return note, r.record(ctx, j, e, "keycycle: rotate "+j.Key+": reach changed", nil)
}

// CanAbortForced tells whether j may be closed without its host.
func CanAbortForced(j *Journal) error {
	if !j.State.Open() {
		return fmt.Errorf("rotation %s is %s already", j.ID, j.State)
	}
	if j.Kind != KindUser && j.Kind != KindAdmin && j.State.Index() > NewKey.Index() {
		return fmt.Errorf("rotation %s is at %s: the new key is in the repository and may be installed on %s, "+
			"so only an abort that reaches the host can put its old key back (pass --ssh, --ssh-config or --local to reach it)",
			j.ID, j.State, j.Host)
	}
	return nil
}

// AbortForced closes j without reaching its host, which cannot be
// reached: allowed only while nothing in the repository depends on the
// host (planned, new-key: the new key is in no file, the host's key file
// untouched), so the host keeps decrypting with its old key. It returns
// what may be left on the host. A user or admin key needs no host to
// abort: it is aborted as Abort does.
func (r *Runner) AbortForced(ctx context.Context, j *Journal) (left string, err error) {
	if j.Kind == KindUser || j.Kind == KindAdmin {
		return "", r.Abort(ctx, j)
	}
	defer r.settle(ctx, j, &err)
	if err := CanAbortForced(j); err != nil {
		return "", err
	}
	left = fmt.Sprintf("%s may keep a staged, never installed key at %s (0600); its key file is untouched. "+
		"Delete it there ('keycycle host restore-key --key-file %s'); 'keycycle host check' reports it as HC005",
		j.Host, hostkey.Staged(j.KeyFile), j.KeyFile)
	j.State, j.Error = Aborted, ""
	if err := r.Save(j, "aborted with --force, host not reached: "+left); err != nil {
		return "", err
	}
	r.repo.Lock()
	defer r.repo.Unlock()
	e := audit.Entry{Note: "rotation " + j.ID + ": aborted with --force (host not reached); " + left}
	return left, r.record(ctx, j, e, "keycycle: rotate "+j.Key+": aborted (forced)", nil)
}
