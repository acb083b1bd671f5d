package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/rotation"
)

// reachFlags correct, on resume and abort, how an open rotation reaches
// and deploys its host (a wrong --ssh at start): only the flags given
// change the journal.
type reachFlags struct {
	remote rotation.Remote
	deploy string
	cmd    *cobra.Command
}

func (f *reachFlags) register(cmd *cobra.Command) {
	f.cmd = cmd
	cmd.Flags().StringVar(&f.remote.SSH, "ssh", "", "correct the ssh destination of the host (recorded in the journal)")
	cmd.Flags().BoolVar(&f.remote.Local, "local", false, "the host is this machine: no ssh (recorded in the journal)")
	registerReach(cmd, &f.deploy, &f.remote)
}

// changes are the corrections the flags given ask for.
func (f *reachFlags) changes() (rotation.Reach, error) {
	var c rotation.Reach
	fl := f.cmd.Flags()
	if fl.Changed("ssh") {
		c.SSH = &f.remote.SSH
	}
	if fl.Changed("ssh-config") {
		if f.remote.SSHConfig != "" {
			abs, err := filepath.Abs(f.remote.SSHConfig)
			if err != nil {
				return c, err
			}
			f.remote.SSHConfig = abs
		}
		c.SSHConfig = &f.remote.SSHConfig
	}
	if fl.Changed("remote-keycycle") {
		c.Binary = &f.remote.Binary
	}
	if fl.Changed("deploy") {
		c.Deploy = &f.deploy
	}
	if fl.Changed("sudo") {
		c.Sudo = &f.remote.Sudo
	}
	if fl.Changed("local") {
		c.Local = &f.remote.Local
	}
	return c, nil
}

// describe wraps a dry run's description of the steps: the corrections
// the flags ask for come first (made to j in memory only).
func (f *reachFlags) describe(steps func(string, *rotation.Journal) ([]string, error)) func(string, *rotation.Journal) ([]string, error) {
	return func(cfgPath string, j *rotation.Journal) ([]string, error) {
		c, err := f.changes()
		if err != nil {
			return nil, err
		}
		var out []string
		if notes := j.ApplyReach(c); len(notes) > 0 {
			out = append(out, "record in the journal and the audit log: reach changed: "+strings.Join(notes, ", "))
		}
		rest, err := steps(cfgPath, j)
		return append(out, rest...), err
	}
}

// applyReach records the corrections in j and says so.
func applyReach(ctx context.Context, r *rotation.Runner, j *rotation.Journal, f *reachFlags, out io.Writer) error {
	c, err := f.changes()
	if err != nil {
		return err
	}
	note, err := r.SetReach(ctx, j, c)
	if err != nil {
		return errorf("'keycycle rotate status --all' lists the rotations", "%v", err)
	}
	if note != "" {
		fmt.Fprintf(out, "rotation %s: %s\n", j.ID, note)
	}
	return nil
}

// forcedAbortSteps is what abort --force would do (dry run).
func forcedAbortSteps(_ string, j *rotation.Journal) ([]string, error) {
	if err := rotation.CanAbortForced(j); err != nil {
		return nil, err
	}
	return []string{"close the rotation without reaching " + j.Host + " (its key file was never touched)",
		"audit entry: aborted with --force, and what may be left on " + j.Host}, nil
}

// abortForced closes a rotation whose host cannot be reached.
func abortForced(ctx context.Context, r *rotation.Runner, j *rotation.Journal, out io.Writer) error {
	left, err := r.AbortForced(ctx, j)
	if err != nil {
		return errorf("abort without --force once the host can be reached (--ssh, --ssh-config, --local correct how)", "%v", err)
	}
	fmt.Fprintf(out, "rotation %s aborted without reaching %s: &%s is %s, as before\n", j.ID, j.Host, j.Key, j.Old)
	if left != "" {
		fmt.Fprintf(out, "left behind: %s\n", left)
	}
	return nil
}
