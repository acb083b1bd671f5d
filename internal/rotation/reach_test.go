package rotation_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/keycycle/keycycle/internal/rotation"
)

// TestReachOf takes only the flags given, and an --ssh-config relative to
// the working directory made absolute.
func TestReachOf(t *testing.T) {
	remote := rotation.Remote{SSH: "root@192.0.2.11", SSHConfig: "ssh.conf", Binary: "/run/current-system/sw/bin/keycycle", Sudo: true}
	given := map[string]bool{"ssh": true, "ssh-config": true, "sudo": true}
	c, err := rotation.ReachOf(remote, "make deploy", func(flag string) bool { return given[flag] })
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	if c.SSH == nil || *c.SSH != "root@192.0.2.11" || c.SSHConfig == nil || *c.SSHConfig != filepath.Join(wd, "ssh.conf") ||
		c.Sudo == nil || !*c.Sudo {
		t.Errorf("given flags: %+v", c)
	}
	if c.Binary != nil || c.Deploy != nil || c.Local != nil {
		t.Errorf("flags not given are corrections: %+v", c)
	}
	j := &rotation.Journal{Host: "griefling", Remote: rotation.Remote{SSH: "griefling", Binary: "keycycle"}}
	if notes := j.ApplyReach(c); len(notes) != 3 || j.Remote.SSH != "root@192.0.2.11" || j.Remote.Binary != "keycycle" {
		t.Errorf("applied: %q, remote %+v", notes, j.Remote)
	}
	c, err = rotation.ReachOf(rotation.Remote{}, "", func(string) bool { return false })
	if err != nil || c != (rotation.Reach{}) {
		t.Errorf("no flag given: %+v, %v", c, err)
	}
}
