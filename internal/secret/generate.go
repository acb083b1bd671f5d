// Package secret is keycycle's domain of secret values: generators that
// make a value in memory, the declarative schema that keycycle.yaml's
// categories and generators form (what each host needs, what is missing,
// what can be made), and the planning of changes to values — set,
// remove, move, generate, regenerate after a revocation — as edits of
// the change pipeline. A value is never written anywhere but into an
// encrypted file, through the sops library.
package secret

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os/exec"
	"strings"
	"time"
	"unicode/utf8"

	"filippo.io/age"
	"golang.org/x/crypto/curve25519"
	"golang.org/x/crypto/ssh"

	"github.com/keycycle/keycycle/internal/policy"
)

// Value is a generated secret and, for a key pair, its public half.
type Value struct {
	Secret string
	// Public is the age recipient, the OpenSSH authorized_keys line or the
	// WireGuard public key; empty for kinds without one.
	Public string
}

// CommandEnv is what a command generator is told about the secret it
// makes (as KEYCYCLE_SECRET_FILE, KEYCYCLE_SECRET_PATH, KEYCYCLE_HOST),
// and where its stderr goes.
type CommandEnv struct {
	File, Path, Host string
	Stderr           io.Writer
}

// maxCommandOutput bounds what a command generator may print.
const maxCommandOutput = 1 << 20

// Generate makes a new value with g, in memory.
func Generate(ctx context.Context, g *policy.Generator, env CommandEnv) (Value, error) {
	switch g.Kind {
	case policy.GenPassword:
		s, err := Password(g.Length, g.Alphabet)
		return Value{Secret: s}, err
	case policy.GenHex:
		b, err := randomBytes(g.Bytes)
		return Value{Secret: hex.EncodeToString(b)}, err
	case policy.GenBase64:
		b, err := randomBytes(g.Bytes)
		return Value{Secret: base64.StdEncoding.EncodeToString(b)}, err
	case policy.GenAgeKey:
		return AgeKey(time.Now())
	case policy.GenSSHEd25519:
		priv, pub, err := SSHEd25519(g.Comment)
		return Value{Secret: string(priv), Public: string(pub)}, err
	case policy.GenWireGuard:
		return WireGuard()
	case policy.GenCommand:
		return runCommand(ctx, g, env)
	}
	return Value{}, fmt.Errorf("unknown generator kind %q", g.Kind)
}

func randomBytes(n int) ([]byte, error) {
	b := make([]byte, n)
	_, err := rand.Read(b)
	return b, err
}

// Password returns length characters drawn uniformly from alphabet.
func Password(length int, alphabet string) (string, error) {
	runes := []rune(alphabet)
	if len(runes) < 2 || length < 1 {
		return "", errors.New("a password needs a length and an alphabet of two characters or more")
	}
	var b strings.Builder
	n := big.NewInt(int64(len(runes)))
	for range length {
		i, err := rand.Int(rand.Reader, n)
		if err != nil {
			return "", err
		}
		b.WriteRune(runes[i.Int64()])
	}
	return b.String(), nil
}

// AgeKey returns a new age identity in the age-keygen format (what
// sops-nix installs as a keys.txt) and its recipient.
func AgeKey(now time.Time) (Value, error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return Value{}, err
	}
	r := id.Recipient().String()
	return Value{Secret: fmt.Sprintf("# created: %s\n# public key: %s\n%s\n", now.UTC().Format(time.RFC3339), r, id), Public: r}, nil
}

// SSHEd25519 returns a new OpenSSH ed25519 private key (PEM, no
// passphrase) and its authorized_keys line.
func SSHEd25519(comment string) (private, public []byte, err error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	spub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil, nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		return nil, nil, err
	}
	public = ssh.MarshalAuthorizedKey(spub)
	if comment != "" {
		public = append(bytes.TrimRight(public, "\n"), []byte(" "+comment+"\n")...)
	}
	return pem.EncodeToMemory(block), public, nil
}

// WireGuard returns a new WireGuard private key (32 bytes, clamped as
// 'wg genkey' does, base64) and its public key.
func WireGuard() (Value, error) {
	k, err := randomBytes(32)
	if err != nil {
		return Value{}, err
	}
	k[0] &= 248
	k[31] = (k[31] & 127) | 64
	pub, err := curve25519.X25519(k, curve25519.Basepoint)
	if err != nil {
		return Value{}, err
	}
	return Value{Secret: base64.StdEncoding.EncodeToString(k), Public: base64.StdEncoding.EncodeToString(pub)}, nil
}

// runCommand runs the generator's program without a shell; its stdout,
// held in memory, is the value (one final newline taken off).
func runCommand(ctx context.Context, g *policy.Generator, env CommandEnv) (Value, error) {
	if len(g.Command) == 0 {
		return Value{}, errors.New("the command generator has no command")
	}
	cmd := exec.CommandContext(ctx, g.Command[0], g.Command[1:]...)
	cmd.Env = append(cmd.Environ(), "KEYCYCLE_SECRET_FILE="+env.File, "KEYCYCLE_SECRET_PATH="+env.Path, "KEYCYCLE_HOST="+env.Host)
	var out limitedBuffer
	cmd.Stdout = &out
	cmd.Stderr = env.Stderr
	err := cmd.Run()
	defer clear(out.buf.Bytes())
	if err != nil {
		return Value{}, fmt.Errorf("the generator command %s failed: %w", g.Command[0], err)
	}
	if out.over {
		return Value{}, fmt.Errorf("the generator command %s printed more than %d bytes", g.Command[0], maxCommandOutput)
	}
	v := strings.TrimSuffix(strings.TrimSuffix(out.buf.String(), "\n"), "\r")
	if v == "" {
		return Value{}, fmt.Errorf("the generator command %s printed nothing on its stdout", g.Command[0])
	}
	if !utf8.ValidString(v) {
		return Value{}, fmt.Errorf("the generator command %s printed bytes that are not UTF-8 text (encode them, e.g. | base64)", g.Command[0])
	}
	return Value{Secret: v}, nil
}

type limitedBuffer struct {
	buf  bytes.Buffer
	over bool
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if l.buf.Len()+len(p) > maxCommandOutput {
		l.over = true
		return len(p), nil
	}
	return l.buf.Write(p)
}
