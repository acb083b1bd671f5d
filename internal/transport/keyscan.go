package transport

import (
	"context"
	"net"
	"os/exec"

	"github.com/keycycle/keycycle/internal/textutil"
)

// Keyscan asks the host at addr (HOST or HOST:PORT) for its ed25519 SSH
// host key with the system ssh-keyscan, and returns what it printed.
func Keyscan(ctx context.Context, addr string) ([]byte, error) {
	host, port := addr, ""
	if h, p, err := net.SplitHostPort(addr); err == nil {
		host, port = h, p
	}
	args := []string{"-T", "10", "-t", "ed25519"}
	if port != "" {
		args = append(args, "-p", port)
	}
	out, err := exec.CommandContext(ctx, "ssh-keyscan", append(args, host)...).Output()
	if err != nil && len(out) == 0 {
		return nil, textutil.Hintf("check that the host is up and sshd listens there, or use --ssh-pubkey FILE",
			"ssh-keyscan %s: %v", addr, err)
	}
	return out, nil
}
