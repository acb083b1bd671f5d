package rotation

import (
	"bytes"
	"context"
	"os/exec"
	"os/user"
	"path"
	"strings"
	"testing"

	"github.com/keycycle/keycycle/internal/hostcheck"
	"github.com/keycycle/keycycle/internal/transport/sshtest"
)

// TestUserHomeFromHost has the in-process SSH server answer getent passwd
// with this machine's real passwd database: a user whose home is not
// /home/USER gets its key file there; a user the host does not know
// keeps /home/USER with a note; a host that cannot be reached fails the
// step and leaves the key file alone.
func TestUserHomeFromHost(t *testing.T) {
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Skip("needs the OpenSSH client")
	}
	if _, err := exec.LookPath("getent"); err != nil {
		t.Skip("needs getent")
	}
	var known *user.User
	for _, name := range []string{"daemon", "bin", "nobody", "sys", "man"} {
		if u, err := user.Lookup(name); err == nil && u.HomeDir != "/home/"+name && path.IsAbs(u.HomeDir) {
			known = u
			break
		}
	}
	if known == nil {
		t.Skip("no system user whose home is not /home/USER")
	}
	srv := sshtest.Start(t, "alpha", []string{"PATH=/usr/bin:/bin"})
	var out bytes.Buffer
	r := &Runner{Transport: TransportOf, Out: &out}
	journal := func(name string) *Journal {
		return &Journal{ID: "u-1", Kind: KindUser, Host: "alpha", User: name, KeyFile: defaultUserKeyFile(name),
			Remote: Remote{SSH: "alpha", SSHConfig: srv.ConfigFile, Binary: "keycycle", Sudo: true}}
	}
	ctx := context.Background()

	j := journal(known.Username)
	if err := r.userHome(ctx, j); err != nil {
		t.Fatal(err)
	}
	if want := path.Join(known.HomeDir, hostcheck.UserKeyPath); j.KeyFile != want {
		t.Errorf("%s's key file %s, want %s (the host's passwd)", known.Username, j.KeyFile, want)
	}
	if cmds := srv.Commands(); len(cmds) != 1 || !strings.HasPrefix(cmds[0], "getent passwd ") || strings.Contains(cmds[0], "sudo") {
		t.Errorf("commands run on the host: %q, want one getent passwd without sudo", cmds)
	}
	if out.Len() != 0 {
		t.Errorf("a note for a known user: %s", out.String())
	}

	j = journal("keycycle-no-such-user")
	if err := r.userHome(ctx, j); err != nil {
		t.Fatal(err)
	}
	if j.KeyFile != "/home/keycycle-no-such-user/"+hostcheck.UserKeyPath {
		t.Errorf("unknown user's key file %s, want the /home default", j.KeyFile)
	}
	if !strings.Contains(out.String(), "note: alpha did not name keycycle-no-such-user's home (getent passwd: no passwd entry for keycycle-no-such-user)") {
		t.Errorf("no note for the unknown user: %q", out.String())
	}

	srv.SetFault(func(string) sshtest.Fault { return sshtest.DropBefore })
	j = journal(known.Username)
	if err := r.userHome(ctx, j); err == nil {
		t.Error("an unreachable host: no error")
	}
	if j.KeyFile != defaultUserKeyFile(known.Username) {
		t.Errorf("an unreachable host changed the key file to %s", j.KeyFile)
	}

	j = journal("")
	j.KeyFile = "/srv/keys.txt"
	n := len(srv.Commands())
	if err := r.userHome(ctx, j); err != nil || j.KeyFile != "/srv/keys.txt" || len(srv.Commands()) != n {
		t.Errorf("a key file the operator named: err %v, key file %s, %d command(s) run", err, j.KeyFile, len(srv.Commands())-n)
	}
}
