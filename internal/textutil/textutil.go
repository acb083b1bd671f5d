// Package textutil holds the few text helpers every package's messages
// share, so that each exists once: one line out of many, and an error's
// reason without the path a message names already.
package textutil

import (
	"errors"
	"fmt"
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

// HintError is a domain package's error that says what to do about it:
// the CLI prints Hint as its "keycycle: hint:" line.
type HintError struct {
	Msg string
	// What is the hint: the command or flag that helps.
	What string
	// Findings marks an error of a command that ran and found problems
	// (exit 1), not one that could not run (exit 2).
	Findings bool
}

func (e *HintError) Error() string { return e.Msg }

// Hint says what to do about the error.
func (e *HintError) Hint() string { return e.What }

// Hintf makes a *HintError with hint and a formatted message.
func Hintf(hint, format string, args ...any) error {
	return &HintError{Msg: fmt.Sprintf(format, args...), What: hint}
}

// Findingsf makes a *HintError of a command that ran and found problems:
// the CLI exits 1 for it, not 2.
func Findingsf(hint, format string, args ...any) error {
	return &HintError{Msg: fmt.Sprintf(format, args...), What: hint, Findings: true}
}

// IsFindings reports whether err's chain holds an error marked Findings.
func IsFindings(err error) bool {
	var he *HintError
	return errors.As(err, &he) && he.Findings
}

// WithHint wraps err (nil stays nil) so that it carries hint, unless an
// error in its chain already has one.
func WithHint(err error, hint string) error {
	if err == nil || HintOf(err) != "" {
		return err
	}
	return &HintError{Msg: err.Error(), What: hint}
}

// HintOf is the hint of the first error in err's chain that has one
// (a Hint() string method), or "".
func HintOf(err error) string {
	var h interface{ Hint() string }
	if errors.As(err, &h) {
		return h.Hint()
	}
	return ""
}

// Article is "n" when word takes "an" rather than "a" ("a%s %s" with
// Article(word), word): a vowel first, except a "u" read as "you".
func Article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) && !strings.HasPrefix(word, "us") {
		return "n"
	}
	return ""
}

// Plural is "1 word" or "N words" ("N wordses" for a word ending in s:
// "2 classes").
func Plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if strings.HasSuffix(word, "s") {
		return fmt.Sprintf("%d %ses", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
