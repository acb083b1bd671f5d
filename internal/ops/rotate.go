package ops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/keycycle/keycycle/internal/audit"
	"github.com/keycycle/keycycle/internal/pipeline"
	"github.com/keycycle/keycycle/internal/rotation"
	"github.com/keycycle/keycycle/internal/textutil"
	"github.com/keycycle/keycycle/internal/vcs"
)

// RotationRunner wires a rotation runner to the session: its changes,
// audit entries and commits go through the pipeline, its progress to
// out. A dry-run session has no runner: a rotation always acts (on the
// host too).
func (s *Session) RotationRunner(out io.Writer) (*rotation.Runner, error) {
	if s.DryRun() {
		return nil, pipeline.ErrDryRun
	}
	return &rotation.Runner{
		ConfigPath: s.ConfigPath,
		Store:      rotation.Store{Root: s.Root},
		Transport:  rotation.TransportOf,
		Identities: s.Identities(),
		Record: func(ctx context.Context, e audit.Entry, subject string, paths []string) error {
			return s.Log(ctx, e, subject, paths)
		},
		Apply: s.Write,
		// The journal's last state goes in a commit of its own, when the
		// steps' commits did not carry it already.
		Settle: func(ctx context.Context, j *rotation.Journal) error {
			if s.VCS == vcs.None {
				return nil
			}
			return PipelineError(s.CommitPaths(ctx, s.VCS, "keycycle: rotate "+j.Key+": journal ("+string(j.State)+")",
				[]string{rotation.JournalRel(j.ID)}, false))
		},
		Out: out,
	}, nil
}

// RotateStart plans the rotation st asks for (st.Key the anchor, the
// other fields the operator's flags, completed by rotation.Resolve),
// journals it and runs it through every step it can; a dry run shows the
// plan only. What it does goes to o.Stdout.
func RotateStart(ctx context.Context, o Options, st rotation.Start) (err error) {
	s, err := Begin(ctx, o)
	if err != nil {
		return err
	}
	defer s.End(&err)
	out, key := s.Opts.Stdout, st.Key
	if open, err := (rotation.Store{Root: s.Root}).OpenFor(key); err != nil {
		return err
	} else if open != nil {
		return textutil.Hintf("'keycycle rotate resume "+open.ID+"' continues it, 'keycycle rotate abort "+open.ID+"' rolls it back",
			"&%s is already being rotated (%s, %s)", key, open.ID, open.State)
	}
	if st, err = rotation.Resolve(s.ConfigPath, st); err != nil {
		return err
	}
	j, err := rotation.Plan(s.ConfigPath, st)
	if err != nil {
		return textutil.Hintf("'keycycle inventory' lists the keys and the files they open", "cannot rotate &%s: %v", key, err)
	}
	fmt.Fprintf(out, "rotation %s: &%s on %s (%s), %d file(s): %v\n", j.ID, j.Key, j.Host, j.Target(), len(j.Files), j.Files)
	if st.FromSSHHostKey {
		fmt.Fprintf(out, "note: &%s is %s's SSH host key converted (ssh-to-age). The new key is an age key file\n"+
			"(%s), which sops-nix must read (sops.age.keyFile); the SSH host key stays and still\n"+
			"converts to the old key, which keeps opening old versions of the files until you replace it.\n", j.Key, j.Host, j.KeyFile)
	}
	if s.Opts.DryRun {
		fmt.Fprintln(out, "dry run: nothing written")
		return nil
	}
	r, err := s.RotationRunner(out)
	if err != nil {
		return err
	}
	if err := r.Save(j, "planned"); err != nil {
		return err
	}
	return runRotation(ctx, r, j, out)
}

// runRotation runs j and turns its outcome into the command's result: a
// rotation that stops at a step is a finding (exit 1).
func runRotation(ctx context.Context, r *rotation.Runner, j *rotation.Journal, out io.Writer) error {
	err := r.Run(ctx, j)
	switch {
	case err == nil:
		fmt.Fprintf(out, "rotation %s done: &%s is %s\n", j.ID, j.Key, j.New)
		return nil
	case errors.Is(err, rotation.ErrWaiting):
		return nil
	}
	return textutil.Findingsf("fix the cause, then 'keycycle rotate resume "+j.ID+"' (or 'keycycle rotate abort "+j.ID+"')",
		"rotation %s stopped at %s: %v", j.ID, j.State, err)
}

// RotateRequest names an open rotation and corrects how it reaches its
// host.
type RotateRequest struct {
	// ID names the rotation; "" picks the only open one.
	ID string
	// Reach are the corrections of how the host is reached and deployed
	// (rotation.ReachOf), recorded in the journal and the audit log.
	Reach rotation.Reach
	// Force (abort only) closes the rotation without reaching its host.
	Force bool
}

// RotateResume continues an open rotation from its last recorded step; a
// dry run lists the steps it would run.
func RotateResume(ctx context.Context, o Options, req RotateRequest) error {
	describe := func(_ string, j *rotation.Journal) ([]string, error) {
		if !j.State.Open() {
			return nil, fmt.Errorf("rotation %s is %s", j.ID, j.State)
		}
		return j.Remaining(), nil
	}
	return withRotation(ctx, o, req, describe, func(r *rotation.Runner, j *rotation.Journal) error {
		if !j.State.Open() {
			return textutil.Hintf("'keycycle rotate status --all' lists the rotations", "rotation %s is %s", j.ID, j.State)
		}
		if err := applyReach(ctx, r, j, req.Reach); err != nil {
			return err
		}
		return runRotation(ctx, r, j, r.Out)
	})
}

// RotateAbort rolls an open rotation back (with req.Force, without
// reaching its host); a dry run lists the steps it would run.
func RotateAbort(ctx context.Context, o Options, req RotateRequest) error {
	describe := rotation.AbortSteps
	if req.Force {
		describe = forcedAbortSteps
	}
	return withRotation(ctx, o, req, describe, func(r *rotation.Runner, j *rotation.Journal) error {
		if err := applyReach(ctx, r, j, req.Reach); err != nil {
			return err
		}
		if req.Force {
			return abortForced(ctx, r, j)
		}
		if err := r.Abort(ctx, j); err != nil {
			return textutil.Hintf("fix the cause and abort again, or 'keycycle rotate resume "+j.ID+"'; a host that cannot be reached: --ssh to correct it, or --force", "%v", err)
		}
		fmt.Fprintf(r.Out, "rotation %s aborted: &%s is %s again\n", j.ID, j.Key, j.Old)
		return nil
	})
}

// withRotation begins the session, picks the rotation req names (or the
// only open one) and runs do on it; a dry run prints what describe says
// (after the reach corrections, made in memory only) and runs nothing.
func withRotation(ctx context.Context, o Options, req RotateRequest,
	describe func(cfgPath string, j *rotation.Journal) ([]string, error), do func(*rotation.Runner, *rotation.Journal) error) (err error) {
	s, err := Begin(ctx, o)
	if err != nil {
		return err
	}
	defer s.End(&err)
	out := s.Opts.Stdout
	j, err := rotation.Store{Root: s.Root}.Pick(req.ID)
	if err != nil {
		return textutil.Hintf("'keycycle rotate status' lists the rotations", "%v", err)
	}
	if !s.DryRun() {
		r, err := s.RotationRunner(out)
		if err != nil {
			return err
		}
		return do(r, j)
	}
	var steps []string
	if notes := j.ApplyReach(req.Reach); len(notes) > 0 {
		steps = append(steps, "record in the journal and the audit log: reach changed: "+strings.Join(notes, ", "))
	}
	rest, err := describe(s.ConfigPath, j)
	if err != nil {
		return textutil.Hintf("'keycycle rotate status' shows where each rotation stands", "%v", err)
	}
	fmt.Fprintf(out, "rotation %s: &%s on %s (%s), at %s; it would run:\n", j.ID, j.Key, j.Host, j.Target(), j.State)
	for i, st := range append(steps, rest...) {
		fmt.Fprintf(out, "  %d. %s\n", i+1, st)
	}
	fmt.Fprintln(out, "dry run: nothing written, nothing run on the host")
	return nil
}

// applyReach records the corrections c in j and says so.
func applyReach(ctx context.Context, r *rotation.Runner, j *rotation.Journal, c rotation.Reach) error {
	note, err := r.SetReach(ctx, j, c)
	if err != nil {
		return textutil.Hintf("'keycycle rotate status --all' lists the rotations", "%v", err)
	}
	if note != "" {
		fmt.Fprintf(r.Out, "rotation %s: %s\n", j.ID, note)
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
func abortForced(ctx context.Context, r *rotation.Runner, j *rotation.Journal) error {
	left, err := r.AbortForced(ctx, j)
	if err != nil {
		return textutil.Hintf("abort without --force once the host can be reached (--ssh, --ssh-config, --local correct how)", "%v", err)
	}
	fmt.Fprintf(r.Out, "rotation %s aborted without reaching %s: &%s is %s, as before\n", j.ID, j.Host, j.Key, j.Old)
	if left != "" {
		fmt.Fprintf(r.Out, "left behind: %s\n", left)
	}
	return nil
}

// Rotations lists the rotations of the repository in dir (FindConfig):
// the open ones, or with all every one, finished and aborted too.
func Rotations(dir string, all bool) ([]*rotation.Journal, error) {
	cfgPath, err := FindConfig(dir)
	if err != nil {
		return nil, err
	}
	list, err := rotation.Store{Root: filepath.Dir(cfgPath)}.List()
	if err != nil {
		return nil, textutil.Hintf("fix or remove the journal named", "%v", err)
	}
	shown := []*rotation.Journal{}
	for _, j := range list {
		if all || j.State.Open() {
			shown = append(shown, j)
		}
	}
	return shown, nil
}
