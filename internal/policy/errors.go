package policy

import (
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Error is one problem in keycycle.yaml or .keycycle/keys.yaml, at a
// 1-based line and column (0 when unknown).
type Error struct {
	File   string `json:"file"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
	Msg    string `json:"message"`
}

// Error returns "file:line:column: message".
func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}

// Errors is every problem found in one file, sorted by position.
type Errors []*Error

// Error joins the messages, one per line.
func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// errs collects errors for one file.
type errs struct {
	file string
	list Errors
}

// at records an error at node n (nil for the file as a whole).
func (c *errs) at(n *yaml.Node, format string, args ...any) {
	e := &Error{File: c.file, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	c.list = append(c.list, e)
}

// atPos records an error at a position.
func (c *errs) atPos(p Pos, format string, args ...any) {
	c.list = append(c.list, &Error{File: c.file, Line: p.Line, Column: p.Column, Msg: fmt.Sprintf(format, args...)})
}

// result returns nil or the sorted errors.
func (c *errs) result() error {
	if len(c.list) == 0 {
		return nil
	}
	sort.SliceStable(c.list, func(i, j int) bool {
		a, b := c.list[i], c.list[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return c.list
}

// yamlError turns a yaml.v3 syntax error into an Error with its line.
func yamlError(file string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if _, scanErr := fmt.Sscanf(msg, "line %d:", &line); scanErr == nil {
		msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
	}
	return Errors{{File: file, Line: line, Msg: "not valid YAML: " + msg}}
}
