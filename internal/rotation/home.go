package rotation

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/keycycle/keycycle/internal/hostcheck"
	"github.com/keycycle/keycycle/internal/transport"
)

// userHome has the host name the home of j.User (getent passwd, run over
// the rotation's own transport) and puts j.KeyFile, the user's keys.txt,
// under it. A host that answers without a home (no such user, no getent)
// leaves the planned /home/USER, and r.Out says so; a host that cannot
// be reached fails the step (resume asks again). Nothing to do when the
// operator named the key file (j.User is empty).
func (r *Runner) userHome(ctx context.Context, j *Journal) error {
	if j.User == "" {
		return nil
	}
	home, err := hostHome(ctx, r.Transport(getentOf(j)), j.Host, j.User)
	var ce *transport.ConnError
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.As(err, &ce) && !j.Remote.Local:
		return err
	case err != nil:
		why := err.Error()
		var ee *transport.ExitError
		if errors.As(err, &ee) && ee.Code == 2 { // getent: no such key
			why = "no passwd entry for " + j.User
		}
		fmt.Fprintf(r.Out, "%s: note: %s did not name %s's home (getent passwd: %s); the key file stays %s ('rotate start --key-file' names another)\n",
			j.ID, j.Host, j.User, why, j.KeyFile)
		return nil
	}
	j.KeyFile = path.Join(home, hostcheck.UserKeyPath)
	return nil
}

// getentOf is j reached the same way, with getent run on the host
// instead of keycycle (and without sudo: the passwd database is public).
func getentOf(j *Journal) *Journal {
	g := *j
	g.Remote.Binary, g.Remote.Sudo = "getent", false
	return &g
}

// hostHome asks host, through tr (running getent), for user's home: the
// sixth field of its passwd entry.
func hostHome(ctx context.Context, tr transport.Transport, host, user string) (string, error) {
	out, _, err := tr.Run(ctx, host, []string{"passwd", user}, nil)
	if err != nil {
		return "", err
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	f := strings.Split(line, ":")
	if len(f) != 7 || f[0] != user || !path.IsAbs(f[5]) {
		return "", fmt.Errorf("no passwd entry with a home folder in %q", line)
	}
	return path.Clean(f[5]), nil
}
