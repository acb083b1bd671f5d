package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/keycycle/keycycle/internal/ops"
	"github.com/keycycle/keycycle/internal/textutil"
)

// Exit codes, the one table every command follows.
const (
	// ExitOK means the command did its job and found nothing wrong.
	ExitOK = 0
	// ExitFindings means the command ran and found problems at error level.
	ExitFindings = 1
	// ExitCannotRun means the command could not run: bad flags, an
	// unreadable repository, a missing file.
	ExitCannotRun = 2
	// ExitInterrupted means the command was stopped by Ctrl-C (SIGINT),
	// as shells report a process an interrupt ended (128 + 2).
	ExitInterrupted = 130
)

// exitCodeHelp is repeated at the end of every command's --help.
const exitCodeHelp = `Exit codes:
  0  ok: nothing to report
  1  findings: the command ran and found problems at error level
  2  cannot run: bad flags or arguments, unreadable repository or file
  130 interrupted (Ctrl-C): a change stopped part way is finished by the next one`

// userError is an error meant for the user, with an optional hint naming
// the command or flag that helps, and the exit code it maps to.
type userError struct {
	msg  string
	hint string
	code int
}

func (e *userError) Error() string { return e.msg }

// errorf makes a "cannot run" error with a hint.
func errorf(hint, format string, args ...any) error {
	return &userError{msg: fmt.Sprintf(format, args...), hint: hint, code: ExitCannotRun}
}

// findingsError reports that a command ran and found problems; its
// message has already been printed, so it prints nothing more.
type findingsError struct{}

func (findingsError) Error() string { return "findings reported" }

// errFindings is returned by commands that ran and found errors.
var errFindings error = findingsError{}

// report prints err in the keycycle format and returns the exit code.
func report(stderr io.Writer, err error) int {
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, errFindings) {
		return ExitFindings
	}
	if errors.Is(err, ops.ErrAlreadyDone) {
		return ExitOK
	}
	code := ExitCannotRun
	hint := ""
	var ue *userError
	if errors.As(err, &ue) {
		code = ue.code
		hint = ue.hint
	}
	if hint == "" {
		hint = textutil.HintOf(err)
	}
	if ue == nil && textutil.IsFindings(err) {
		code = ExitFindings
	}
	msg := strings.TrimSuffix(err.Error(), ".")
	fmt.Fprintf(stderr, "%s %s\n", styleFor(stderr).red("keycycle: error:"), msg)
	if hint != "" {
		fmt.Fprintf(stderr, "keycycle: hint: %s\n", hint)
	}
	return code
}
