// Package sshtest is an SSH server for tests, on 127.0.0.1 only, written
// with golang.org/x/crypto/ssh: its own ed25519 host key, one authorised
// client key, and every "exec" request run with /bin/sh -c in a given
// environment. It writes the client's private key, a known_hosts file and
// an ssh_config block, so that tests drive it with the real OpenSSH
// client exactly as an operator would reach a host.
package sshtest

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/keycycle/keycycle/internal/agekey"
)

// Fault is what the server does with one command.
type Fault int

// Faults a test can inject.
const (
	// Run the command normally.
	Run Fault = iota
	// DropBefore closes the connection without running the command.
	DropBefore
	// DropAfter runs the command, then closes the connection before its
	// output and exit status are sent: the operator cannot know it ran.
	DropAfter
)

// Server is one SSH host.
type Server struct {
	// Alias is the ssh_config Host name (and the known_hosts name).
	Alias string
	// Port is where it listens on 127.0.0.1.
	Port int
	// Dir holds the client key, known_hosts and ssh_config.
	Dir string
	// ConfigFile is an ssh_config for this server alone.
	ConfigFile string

	env     []string
	hostPub ssh.PublicKey
	ln      net.Listener
	cfg     *ssh.ServerConfig
	wg      sync.WaitGroup

	mu       sync.Mutex
	fault    func(command string) Fault
	commands []string
}

// Start starts a server whose commands run with env (PATH included) and
// stops it when the test ends.
func Start(t testing.TB, alias string, env []string) *Server {
	t.Helper()
	s, err := start(t.TempDir(), alias, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func start(dir, alias string, env []string) (*Server, error) {
	s := &Server{Alias: alias, Dir: dir, env: env}
	_, hostPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	hostSigner, err := ssh.NewSignerFromKey(hostPriv)
	if err != nil {
		return nil, err
	}
	s.hostPub = hostSigner.PublicKey()
	clientPub, err := s.writeClientKey()
	if err != nil {
		return nil, err
	}
	s.cfg = &ssh.ServerConfig{PublicKeyCallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
		if bytes.Equal(k.Marshal(), clientPub.Marshal()) {
			return &ssh.Permissions{}, nil
		}
		return nil, errors.New("unknown key")
	}}
	s.cfg.AddHostKey(hostSigner)
	if s.ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		return nil, err
	}
	s.Port = s.ln.Addr().(*net.TCPAddr).Port
	known := s.Alias + " " + string(ssh.MarshalAuthorizedKey(s.hostPub))
	if err := os.WriteFile(filepath.Join(dir, "known_hosts"), []byte(known), 0o600); err != nil {
		return nil, err
	}
	s.ConfigFile = filepath.Join(dir, "ssh_config")
	if err := os.WriteFile(s.ConfigFile, []byte(s.ConfigBlock()), 0o600); err != nil {
		return nil, err
	}
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

func (s *Server) writeClientKey() (ssh.PublicKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, "sshtest client")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(s.Dir, "id_ed25519"), pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, err
	}
	return ssh.NewPublicKey(pub)
}

// ConfigBlock is the ssh_config "Host" block that reaches this server
// with its client key, checking its host key strictly.
func (s *Server) ConfigBlock() string {
	return fmt.Sprintf(`Host %s
  HostName 127.0.0.1
  Port %d
  User keycycle
  IdentityFile %s
  IdentitiesOnly yes
  IdentityAgent none
  UserKnownHostsFile %s
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  HostKeyAlias %s
  LogLevel ERROR
`, s.Alias, s.Port, filepath.Join(s.Dir, "id_ed25519"), filepath.Join(s.Dir, "known_hosts"), s.Alias)
}

// WriteConfig writes one ssh_config reaching every server, for tests with
// several hosts, and returns its path.
func WriteConfig(t testing.TB, servers ...*Server) string {
	t.Helper()
	var b strings.Builder
	for _, s := range servers {
		b.WriteString(s.ConfigBlock())
	}
	p := filepath.Join(t.TempDir(), "ssh_config")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// SetFault makes the server consult f for every command from now on
// (nil: run everything).
func (s *Server) SetFault(f func(command string) Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

// Commands returns the commands received so far.
func (s *Server) Commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.commands...)
}

// Close stops the server and waits for its connections.
func (s *Server) Close() {
	_ = s.ln.Close()
	s.wg.Wait()
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handleConn(c)
		}()
	}
}

func (s *Server) handleConn(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Minute))
	conn, chans, reqs, err := ssh.NewServerConn(c, s.cfg)
	if err != nil {
		return
	}
	defer conn.Close()
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "sessions only")
			continue
		}
		ch, chReqs, err := nc.Accept()
		if err != nil {
			return
		}
		if !s.session(c, ch, chReqs) {
			return
		}
	}
}

// session serves one session channel; false means the connection was
// dropped on purpose.
func (s *Server) session(raw net.Conn, ch ssh.Channel, reqs <-chan *ssh.Request) bool {
	defer ch.Close()
	for req := range reqs {
		switch req.Type {
		case "env":
			_ = req.Reply(true, nil)
		case "exec":
			var p struct{ Command string }
			if err := ssh.Unmarshal(req.Payload, &p); err != nil {
				_ = req.Reply(false, nil)
				continue
			}
			_ = req.Reply(true, nil)
			return s.exec(raw, ch, p.Command)
		default:
			_ = req.Reply(false, nil)
		}
	}
	return true
}

func (s *Server) exec(raw net.Conn, ch ssh.Channel, command string) bool {
	s.mu.Lock()
	s.commands = append(s.commands, command)
	fault := Run
	if s.fault != nil {
		fault = s.fault(command)
	}
	s.mu.Unlock()
	if fault == DropBefore {
		raw.Close()
		return false
	}
	cmd := exec.Command("/bin/sh", "-c", command)
	cmd.Env = s.env
	cmd.Stdin = ch
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 10 * time.Second
	code := 0
	if err := cmd.Run(); err != nil {
		code = 127
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
	}
	if fault == DropAfter {
		raw.Close()
		return false
	}
	_, _ = ch.Write(stdout.Bytes())
	_, _ = ch.Stderr().Write(stderr.Bytes())
	_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(code)}))
	return true
}

// HostRecipient is the server's ed25519 host key converted to an age
// recipient (ssh-to-age), as keycycle must register the host, read from
// the known_hosts line the server wrote.
func (s *Server) HostRecipient(t testing.TB) string {
	t.Helper()
	known, err := os.ReadFile(filepath.Join(s.Dir, "known_hosts"))
	if err != nil {
		t.Fatal(err)
	}
	conv, err := agekey.SSHPublicKeysToAge(known)
	if err != nil || len(conv) != 1 {
		t.Fatalf("known_hosts: %v %v", conv, err)
	}
	return conv[0].Recipient
}
