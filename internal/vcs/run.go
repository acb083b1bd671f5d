package vcs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/keycycle/keycycle/internal/textutil"
)

// runner runs one version control binary in one folder.
type runner struct {
	bin string // the name, git or jj
	dir string
}

// newRunner finds bin on $PATH.
func newRunner(bin, dir string) (runner, error) {
	if _, err := exec.LookPath(bin); err != nil {
		return runner{}, &Error{Reason: NotInstalled,
			Msg:    fmt.Sprintf("cannot commit: %s is not installed (not found on $PATH)", bin),
			Advice: "install " + bin + ", or leave out --commit and commit by hand"}
	}
	return runner{bin: bin, dir: dir}, nil
}

// exitError is a command that ran and exited non-zero.
type exitError struct {
	cmd    string
	code   int
	stderr string
}

func (e *exitError) Error() string {
	msg := fmt.Sprintf("%s failed (exit %d)", e.cmd, e.code)
	if e.stderr != "" {
		msg += ": " + e.stderr
	}
	return msg
}

// run runs the binary with args and returns its standard output. A
// non-zero exit is an *exitError carrying the trimmed standard error.
func (r runner) run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, r.bin, args...)
	cmd.Dir = r.dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return stdout.String(), &exitError{
			cmd:    r.bin + " " + strings.Join(args, " "),
			code:   ee.ExitCode(),
			stderr: stderrLine(stderr.String()),
		}
	}
	if err != nil {
		return "", fmt.Errorf("cannot run %s: %w", r.bin, err)
	}
	return stdout.String(), nil
}

// exitCode returns the exit code of a failed run, or -1.
func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return -1
}

// failed wraps an error from a run as a Failed *Error.
func failed(what string, err error) error {
	var ve *Error
	if errors.As(err, &ve) {
		return err
	}
	return &Error{Reason: Failed, Msg: what + ": " + err.Error(),
		Advice: "fix what the message says and commit by hand: the changes are written"}
}

// stderrLine is a tool's standard error as one line, cut at a sane
// length.
func stderrLine(s string) string {
	out := textutil.OneLine(s)
	if len(out) > 600 {
		out = out[:600] + "…"
	}
	return out
}
