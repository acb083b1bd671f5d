// Package configedit edits a .sops.yaml in place, as text, so that
// everything an edit does not touch stays byte-identical: comments,
// anchor names, aliases, key order, quoting, blank lines, trailing white
// space, a missing final newline.
//
// Each edit is planned from the positions yaml.v3 reports, applied to the
// text, and then proven: the new text must parse (sopsconfig.Parse), its
// YAML data must equal the old data with exactly the intended change (a
// comparison of the whole node trees, comments and styles aside), and the
// sops meaning (anchors, every rule's key groups) must be the old one
// with exactly the intended change. An edit that fails any of these is
// refused and the text is left as it was.
//
// Places that cannot be edited safely as text are refused with an error
// that says to make the edit by hand: files with more than one YAML
// document, line breaks other than "\n" and "\r\n", keys or rules inside
// flow mappings, rules or key groups written as aliases or merged in with
// `<<:`, age lists written as a string or as an alias of a shared list.
package configedit

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/keycycle/keycycle/internal/sopsconfig"
)

// Kinds of error, for errors.Is. Every error an Editor method returns is
// an *Error wrapping one of them.
var (
	// ErrInvalid: an argument is not acceptable (a name YAML cannot use
	// as an anchor, a path_regex that does not compile, …).
	ErrInvalid = errors.New("invalid argument")
	// ErrNotFound: the key, anchor or rule named does not exist.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyPresent: the edit is already made (the key, anchor, value
	// or rule exists); nothing changed.
	ErrAlreadyPresent = errors.New("already present")
	// ErrWouldEmpty: removing a key would leave a rule's key group
	// without keys; Error.Rules lists those rules.
	ErrWouldEmpty = errors.New("would leave a key group empty")
	// ErrUnsupported: the file is written in a way keycycle cannot edit
	// safely as text; the user must make this edit by hand.
	ErrUnsupported = errors.New("cannot be edited safely; edit by hand")
	// ErrUnsafeResult: the planned edit did not prove to do exactly what
	// was intended; it was not made.
	ErrUnsafeResult = errors.New("refusing to edit")
)

// Error is what Editor methods return: a one-line message for people and
// a Kind for programs.
type Error struct {
	// Kind is one of the Err* values above.
	Kind error
	// Msg is the whole message, starting with "FILE:LINE: " when a line
	// applies.
	Msg string
	// Rules are indexes into Config().Rules the error is about, in
	// ascending order: for ErrWouldEmpty, the rules the removal would
	// leave without keys (remove them from the last one, so that the
	// indexes of the others stay valid).
	Rules []int
}

// Error returns the message.
func (e *Error) Error() string { return e.Msg }

// Unwrap returns the kind, for errors.Is.
func (e *Error) Unwrap() error { return e.Kind }

// Editor edits a .sops.yaml as text, guided by node positions, so that
// everything it does not touch stays byte-identical: comments, anchor
// names, aliases, key order, quoting, blank lines, trailing whitespace,
// missing final newline. An Editor is not safe for concurrent use.
type Editor struct {
	path     string
	original []byte
	data     []byte
	cfg      *sopsconfig.Config
}

// New parses data, the content of the .sops.yaml at path (used in
// messages). It fails when sopsconfig.Parse fails.
func New(path string, data []byte) (*Editor, error) {
	cfg, err := sopsconfig.Parse(path, data)
	if err != nil {
		return nil, err
	}
	d := bytes.Clone(data)
	if d == nil {
		d = []byte{}
	}
	return &Editor{path: path, original: d, data: d, cfg: cfg}, nil
}

// Bytes returns the current text: identical to the input until an edit
// succeeds. The caller must not modify it.
func (e *Editor) Bytes() []byte { return e.data }

// Config returns the current text, parsed. The caller must not modify it.
func (e *Editor) Config() *sopsconfig.Config { return e.cfg }

// Changed reports whether the current text differs from the input.
func (e *Editor) Changed() bool { return !bytes.Equal(e.original, e.data) }

// Diff returns a unified diff (3 lines of context, "--- a/.sops.yaml" /
// "+++ b/.sops.yaml") between the input and the current text; "" when
// they are equal.
func (e *Editor) Diff() string {
	return unifiedDiff("a/.sops.yaml", "b/.sops.yaml", e.original, e.data, 3)
}

// UnifiedDiff is a unified diff (3 lines of context) of any two texts,
// named a/NAME and b/NAME, as Diff writes it; "" when they are equal.
func UnifiedDiff(name string, a, b []byte) string {
	return unifiedDiff("a/"+name, "b/"+name, a, b, 3)
}

// fail builds an *Error; line 0 leaves the position out.
func (e *Editor) fail(kind error, line int, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	if line > 0 {
		msg = fmt.Sprintf("%s:%d: %s", e.path, line, msg)
	} else {
		msg = fmt.Sprintf("%s: %s", e.path, msg)
	}
	return &Error{Kind: kind, Msg: msg}
}

// byHand builds an ErrUnsupported error telling the user to edit by hand.
func (e *Editor) byHand(line int, format string, args ...any) *Error {
	err := e.fail(ErrUnsupported, line, format, args...)
	err.Msg += "; make this edit by hand"
	return err
}

// refuse builds the error for an edit whose result did not prove right.
func (e *Editor) refuse(format string, args ...any) *Error {
	return &Error{Kind: ErrUnsafeResult, Msg: fmt.Sprintf("refusing to edit %s: the result would %s", e.path, fmt.Sprintf(format, args...))}
}

// plan is one edit in the making: the text, our node tree of it, and the
// changes collected so far. Planning also changes the tree into the
// document the edit must produce.
type plan struct {
	e  *Editor
	x  *text
	t  *tree
	ed *edits
}

// newPlan starts an edit of the current text.
func (e *Editor) newPlan() (*plan, error) {
	if e.cfg.MoreDocuments {
		return nil, e.byHand(0, "the file holds more than one YAML document (sops reads only the first)")
	}
	x, err := newText(e.data)
	if err != nil {
		return nil, e.byHand(0, "%v", err)
	}
	t, err := parseTree(e.data)
	if err != nil {
		return nil, e.byHand(0, "%v", err)
	}
	return &plan{e: e, x: x, t: t, ed: newEdits(x)}, nil
}

// commit applies the planned changes if the result proves right: it
// parses, its data equals the expected tree, and check (given the new
// config) accepts its sops meaning. Otherwise the text stays as it was.
func (e *Editor) commit(p *plan, check func(next *sopsconfig.Config) error) error {
	out, err := p.ed.apply()
	if err != nil {
		return e.refuse("be garbled (%v)", err)
	}
	next, err := sopsconfig.Parse(e.path, out)
	if err != nil {
		return e.refuse("not parse: %v", err)
	}
	if next.MoreDocuments {
		return e.refuse("hold more than one YAML document")
	}
	t2, err := parseTree(out)
	if err != nil {
		return e.refuse("not parse: %v", err)
	}
	if fingerprint(t2.doc) != fingerprint(p.t.doc) {
		return e.refuse("change more of the YAML data than intended")
	}
	if err := check(next); err != nil {
		return e.refuse("%v", err)
	}
	e.data, e.cfg = out, next
	return nil
}
