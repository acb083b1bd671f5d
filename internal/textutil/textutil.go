// Package textutil holds the few text helpers every package's messages
// share, so that each exists once: one line out of many, and an error's
// reason without the path a message names already.
package textutil

import (
	"errors"
	"io/fs"
	"strings"
)

// OneLine makes s one line for a message: every run of white space,
// line breaks included, becomes one space, and the ends are trimmed.
// Wrapped prose ("…decrypt the file. In\norder for SOPS…") reads on.
func OneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// ErrReason is err's text without the operation and path of an
// *fs.PathError anywhere in its chain ("no such file or directory", not
// "open /x: no such file or directory"), for messages that name the
// path themselves; any other error's text as it is.
func ErrReason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
