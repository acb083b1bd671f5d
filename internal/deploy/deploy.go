// Package deploy runs the user's deploy command (keycycle.yaml's
// deploy:, or --deploy) for hosts: the step that brings a changed
// secrets repository to them (a flake input update and nixos-rebuild,
// say). keycycle never guesses that command; it only fills in {host}
// and {ssh} and runs it with /bin/sh in the repository.
package deploy

import (
	"bytes"
	"context"
	"fmt"
	"github.com/keycycle/keycycle/internal/parallel"
	"io"
	"os/exec"
	"sort"
	"strings"
	"sync"
)

// Target is a host to deploy and its ssh destination.
type Target struct {
	Host string `json:"host"`
	SSH  string `json:"ssh"`
}

// Result is the outcome of one host's deployment.
type Result struct {
	Host    string `json:"host"`
	Command string `json:"command"`
	OK      bool   `json:"ok"`
	Error   string `json:"error,omitempty"`
}

// Command is the command line for t: {host} and {ssh} replaced.
func Command(template string, t Target) string {
	return strings.NewReplacer("{host}", t.Host, "{ssh}", t.SSH).Replace(template)
}

// Run runs cmdline with /bin/sh -c in dir; each line it prints goes to
// out prefixed with "HOST: ".
func Run(ctx context.Context, dir, cmdline, host string, out io.Writer) error {
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", cmdline)
	cmd.Dir = dir
	lines := &LinePrefixer{W: out, Prefix: host + ": "}
	cmd.Stdout, cmd.Stderr = lines, lines
	err := cmd.Run()
	lines.Flush()
	if err != nil {
		return fmt.Errorf("deploy command %q: %v", cmdline, err)
	}
	return nil
}

// RunAll deploys every target, at most max at once; a failing host does
// not stop the others. Results come back sorted by host.
func RunAll(ctx context.Context, dir, template string, targets []Target, max int, out io.Writer) []Result {
	w := &LockedWriter{W: out}
	results := make([]Result, len(targets))
	parallel.Each(len(targets), max, func(i int) {
		t := targets[i]
		cmdline := Command(template, t)
		results[i] = Result{Host: t.Host, Command: cmdline, OK: true}
		if err := Run(ctx, dir, cmdline, t.Host, w); err != nil {
			results[i].OK, results[i].Error = false, err.Error()
		}
	})
	sort.Slice(results, func(a, b int) bool { return results[a].Host < results[b].Host })
	return results
}

// LinePrefixer passes whole lines to W, each with Prefix, so that the
// output of commands running side by side stays readable.
type LinePrefixer struct {
	W      io.Writer
	Prefix string
	mu     sync.Mutex
	buf    []byte
}

func (l *LinePrefixer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		if _, err := io.WriteString(l.W, l.Prefix+string(l.buf[:i+1])); err != nil {
			return len(p), err
		}
		l.buf = l.buf[i+1:]
	}
}

// Flush writes a last line that had no newline.
func (l *LinePrefixer) Flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 {
		_, _ = io.WriteString(l.W, l.Prefix+string(l.buf)+"\n")
		l.buf = nil
	}
}

// LockedWriter makes each Write to W whole and alone.
type LockedWriter struct {
	W  io.Writer
	mu sync.Mutex
}

func (l *LockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.W.Write(p)
}
