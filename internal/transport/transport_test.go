package transport_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keycycle/keycycle/internal/transport"
	"github.com/keycycle/keycycle/internal/transport/sshtest"
)

func needSSH(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Skip("needs the OpenSSH client")
	}
}

func server(t *testing.T) (*sshtest.Server, transport.SSH) {
	t.Helper()
	needSSH(t)
	s := sshtest.Start(t, "griefling", []string{"PATH=/usr/bin:/bin", "LC_ALL=C"})
	return s, transport.SSH{ConfigFile: s.ConfigFile, ConnectTimeout: 5 * time.Second}
}

func TestSSHRunsArgvExactly(t *testing.T) {
	s, tr := server(t)
	tr.Remote.Binary = "printf"
	args := []string{"%s|", "plain", "it's", "two words", "$HOME", "`id`", "a\nb", ""}
	out, _, err := tr.Run(context.Background(), "griefling", args, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "plain|it's|two words|$HOME|`id`|a\nb||"
	if string(out) != want {
		t.Fatalf("stdout %q, want %q", out, want)
	}
	if got := s.Commands(); len(got) != 1 || !strings.HasPrefix(got[0], "printf ") {
		t.Fatalf("server saw %q", got)
	}
}

func TestSSHStdinAndExitCode(t *testing.T) {
	_, tr := server(t)
	tr.Remote.Binary = "cat"
	in := []byte(strings.Repeat("sops: data\n", 20000))
	out, _, err := tr.Run(context.Background(), "griefling", nil, in)
	if err != nil || string(out) != string(in) {
		t.Fatalf("cat: %d bytes back, err %v", len(out), err)
	}
	tr.Remote.Binary = "sh"
	_, _, err = tr.Run(context.Background(), "griefling", []string{"-c", "echo first >&2; echo last words >&2; exit 3"}, nil)
	var ee *transport.ExitError
	if !errors.As(err, &ee) || ee.Code != 3 || !strings.Contains(err.Error(), "last words") {
		t.Fatalf("err = %v, want exit 3 with its message", err)
	}
}

func TestSSHDroppedLinkIsAConnError(t *testing.T) {
	s, tr := server(t)
	tr.Remote.Binary = "true"
	for _, f := range []sshtest.Fault{sshtest.DropBefore, sshtest.DropAfter} {
		s.SetFault(func(string) sshtest.Fault { return f })
		_, _, err := tr.Run(context.Background(), "griefling", nil, nil)
		var ce *transport.ConnError
		if !errors.As(err, &ce) {
			t.Fatalf("fault %d: err = %v, want a ConnError", f, err)
		}
	}
	s.SetFault(nil)
	if _, _, err := tr.Run(context.Background(), "griefling", nil, nil); err != nil {
		t.Fatalf("after the faults: %v", err)
	}
}

func TestSSHRefusesAnUnknownHostKey(t *testing.T) {
	s, tr := server(t)
	other := sshtest.Start(t, "griefling", nil)
	// known_hosts of another server: the host key does not match.
	data, err := os.ReadFile(filepath.Join(other.Dir, "known_hosts"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Dir, "known_hosts"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	tr.Remote.Binary = "true"
	_, _, err = tr.Run(context.Background(), "griefling", nil, nil)
	var ce *transport.ConnError
	if !errors.As(err, &ce) || len(s.Commands()) != 0 {
		t.Fatalf("err = %v, commands %q: want a refused connection", err, s.Commands())
	}
}

func TestSSHArgs(t *testing.T) {
	tr := transport.SSH{ConfigFile: "/c", Target: func(h string) string { return "root@" + h + ".lan" },
		Options: []string{"-o", "ProxyJump=bastion"}, Remote: transport.Local{Binary: "/run/current-system/sw/bin/keycycle", Sudo: true}}
	got := strings.Join(tr.Args("griefling", []string{"host", "verify", "--name", "a b.yaml"}), " ")
	for _, want := range []string{"ssh -o BatchMode=yes -o ConnectTimeout=10 ", "-F /c", "-o ProxyJump=bastion",
		"-- root@griefling.lan sudo -n -- /run/current-system/sw/bin/keycycle host verify --name 'a b.yaml'"} {
		if !strings.Contains(got, want) {
			t.Errorf("args %q lack %q", got, want)
		}
	}
}

func TestLocal(t *testing.T) {
	out, _, err := transport.Local{Binary: "echo", Extra: []string{"--root", "/r"}}.Run(context.Background(), "self", []string{"host", "keygen"}, nil)
	if err != nil || string(out) != "host keygen --root /r\n" {
		t.Fatalf("%q %v", out, err)
	}
	_, _, err = transport.Local{Binary: "false"}.Run(context.Background(), "self", nil, nil)
	var ee *transport.ExitError
	if !errors.As(err, &ee) || ee.Code != 1 {
		t.Fatalf("err = %v", err)
	}
}

func TestExitErrorQuotesTheRemoteError(t *testing.T) {
	e := &transport.ExitError{Host: "h", Code: 2, Stderr: "noise\nkeycycle: error: --key-file \"x\" is not an absolute path\nkeycycle: hint: write the host path in full\n"}
	want := `on h: exit code 2: --key-file "x" is not an absolute path (write the host path in full)`
	if got := e.Error(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	e = &transport.ExitError{Host: "h", Code: 1, Stderr: "line one\nsomething else broke\n"}
	if got := e.Error(); got != "on h: exit code 1: something else broke" {
		t.Errorf("got %s", got)
	}
}
