package cli

import (
	"fmt"
	"io"
	"os"
	"sync"

	"golang.org/x/term"

	"github.com/keycycle/keycycle/internal/inventory"
)

// style is the one place that decides whether keycycle colours what it
// writes to a stream: only when the stream is a terminal, never when
// NO_COLOR is set to anything (no-color.org) or TERM is dumb.
type style struct{ on bool }

func styleFor(w io.Writer) style {
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return style{}
	}
	return style{on: isTerminal(w)}
}

// isTerminal reports whether w is a terminal: the one test of colour,
// progress, and refusing to print a secret to a screen.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func (s style) paint(sgr, text string) string {
	if !s.on || text == "" {
		return text
	}
	return "\033[" + sgr + "m" + text + "\033[0m"
}

// red is for errors, yellow for warnings.
func (s style) red(text string) string    { return s.paint("31", text) }
func (s style) yellow(text string) string { return s.paint("33", text) }

// mark colours the access matrix's marks that call for a rekey: + (a key
// the rule does not want can decrypt) red, - (a key the rule wants
// cannot) yellow.
func (s style) mark(m string) string {
	switch m {
	case inventory.MarkExtra:
		return s.red(m)
	case inventory.MarkMissing:
		return s.yellow(m)
	}
	return m
}

// warnf prints a warning on w (stderr) as "keycycle: warning: ...".
func warnf(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, styleFor(w).yellow("keycycle: warning:")+" "+format+"\n", args...)
}

// progress draws "[n/N]" on stderr, only when stderr is a terminal.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	n, of int
	on    bool
}

func newProgress(w io.Writer, of int) *progress {
	p := &progress{w: w, of: of}
	if isTerminal(w) && of != 1 {
		p.on = true
	}
	return p
}

func (p *progress) step() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	switch {
	case p.on && p.of > 0:
		fmt.Fprintf(p.w, "\r[%d/%d]", p.n, p.of)
	case p.on:
		fmt.Fprintf(p.w, "\r[%d files]", p.n)
	}
}

func (p *progress) done() {
	if p.on {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
