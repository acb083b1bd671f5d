// Package transport runs keycycle's host-side commands on a host: on this
// machine (Local) or through the system OpenSSH client (SSH), so that
// ~/.ssh/config, ProxyJump, agents and known_hosts work as they do for
// the operator. Only argv and stdin go out; only stdout and stderr come
// back — no private key ever travels.
package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// Transport runs a keycycle command (argv after the binary name, e.g.
// ["host", "keygen"]) on host with stdin, and returns what it printed.
type Transport interface {
	Run(ctx context.Context, host string, argv []string, stdin []byte) (stdout, stderr []byte, err error)
}

// ExitError means the command ran on the host and exited non-zero.
type ExitError struct {
	Host   string
	Code   int
	Stderr string
}

func (e *ExitError) Error() string {
	msg := remoteMessage(e.Stderr)
	if msg == "" {
		msg = "no message"
	}
	return fmt.Sprintf("on %s: exit code %d: %s", e.Host, e.Code, msg)
}

// ConnError means the host could not be reached (ssh exits 255), or the
// link broke: whether the command ran is unknown, so callers repeat an
// idempotent step.
type ConnError struct {
	Host   string
	Stderr string
	Err    error
}

func (e *ConnError) Error() string {
	msg := lastLine(e.Stderr)
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	return fmt.Sprintf("cannot reach %s: %s", e.Host, msg)
}

func (e *ConnError) Unwrap() error { return e.Err }

// remoteMessage is what a failed keycycle on the host said: its last
// "keycycle: error:" line with the hint after it, else the last line.
func remoteMessage(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if msg, ok := strings.CutPrefix(strings.TrimSpace(lines[i]), "keycycle: error: "); ok {
			if i+1 < len(lines) {
				if hint, ok := strings.CutPrefix(strings.TrimSpace(lines[i+1]), "keycycle: hint: "); ok {
					msg += " (" + hint + ")"
				}
			}
			return msg
		}
	}
	return lastLine(s)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// Local runs keycycle on this machine.
type Local struct {
	// Binary is the keycycle to run (default "keycycle" from $PATH).
	Binary string
	// Sudo runs it through 'sudo -n'.
	Sudo bool
	// Extra is appended to every argv (e.g. "--root", DIR).
	Extra []string
}

// Run implements Transport.
func (l Local) Run(ctx context.Context, host string, argv []string, stdin []byte) ([]byte, []byte, error) {
	full := l.command(argv)
	cmd := exec.CommandContext(ctx, full[0], full[1:]...)
	return run(cmd, host, stdin, false)
}

func (l Local) command(argv []string) []string {
	bin := l.Binary
	if bin == "" {
		bin = "keycycle"
	}
	full := append([]string{bin}, argv...)
	full = append(full, l.Extra...)
	if l.Sudo {
		full = append([]string{"sudo", "-n", "--"}, full...)
	}
	return full
}

// SSH runs keycycle on a host through the system ssh, with BatchMode (no
// prompt ever blocks a rotation) and a connection timeout.
type SSH struct {
	// Binary is the ssh client (default "ssh").
	Binary string
	// Target maps a host name to its ssh destination (user@addr, an
	// ssh_config alias, ssh://user@addr:port); nil or "" means the name.
	Target func(host string) string
	// ConfigFile is passed as 'ssh -F' when set.
	ConfigFile string
	// ConnectTimeout defaults to 10s.
	ConnectTimeout time.Duration
	// Options are further ssh arguments, e.g. "-o", "ProxyJump=bastion".
	Options []string
	// Remote is the keycycle binary on the host (default "keycycle").
	Remote Local
}

// Args returns the ssh command line for argv on host.
func (s SSH) Args(host string, argv []string) []string {
	bin := s.Binary
	if bin == "" {
		bin = "ssh"
	}
	timeout := s.ConnectTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	secs := max(1, int(timeout.Round(time.Second)/time.Second))
	args := []string{bin, "-o", "BatchMode=yes", "-o", fmt.Sprintf("ConnectTimeout=%d", secs),
		"-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=3"}
	if s.ConfigFile != "" {
		args = append(args, "-F", s.ConfigFile)
	}
	args = append(args, s.Options...)
	target := host
	if s.Target != nil {
		if t := s.Target(host); t != "" {
			target = t
		}
	}
	return append(args, "--", target, ShellQuote(s.Remote.command(argv)))
}

// Run implements Transport.
func (s SSH) Run(ctx context.Context, host string, argv []string, stdin []byte) ([]byte, []byte, error) {
	args := s.Args(host, argv)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	return run(cmd, host, stdin, true)
}

func run(cmd *exec.Cmd, host string, stdin []byte, viaSSH bool) ([]byte, []byte, error) {
	var stdout, stderr bytes.Buffer
	cmd.Stdin = bytes.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return stdout.Bytes(), stderr.Bytes(), nil
	case errors.As(err, &ee) && ee.ExitCode() > 0 && !(viaSSH && ee.ExitCode() == 255):
		return stdout.Bytes(), stderr.Bytes(), &ExitError{Host: host, Code: ee.ExitCode(), Stderr: stderr.String()}
	default:
		return stdout.Bytes(), stderr.Bytes(), &ConnError{Host: host, Stderr: stderr.String(), Err: err}
	}
}

// ShellQuote joins argv into one POSIX shell command line, each word
// single-quoted where needed: ssh hands the remote shell one string.
func ShellQuote(argv []string) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,@+") == "" {
			out[i] = a
			continue
		}
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(out, " ")
}
