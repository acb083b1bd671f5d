package hostkey

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/keycycle/keycycle/internal/textutil"
	"github.com/keycycle/keycycle/internal/transport/sshtest"
)

// TestSourceKeyscan takes a host's key from what the real ssh-keyscan
// reads off an SSH server on 127.0.0.1: the recipient must be the
// ssh-to-age conversion of that server's ed25519 host key, and an
// unreachable host an error with a hint.
func TestSourceKeyscan(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("ssh-keyscan"); err != nil {
		t.Skip("needs ssh-keyscan (Debian openssh-client)")
	}
	srv := sshtest.Start(t, "web", os.Environ())
	want := srv.HostRecipient(t)
	k, err := Source{Keyscan: "127.0.0.1:" + strconv.Itoa(srv.Port)}.Resolve(context.Background())
	if err != nil || k.Recipient != want {
		t.Fatalf("keyscan: %+v %v, want %s", k, err, want)
	}
	_, err = Source{Keyscan: "127.0.0.1:1"}.Resolve(context.Background())
	if err == nil || textutil.HintOf(err) == "" {
		t.Fatalf("an unreachable host: %v, want an error with a hint", err)
	}
}

// TestSourceOne requires exactly one source of the key, and turns --age
// and --ssh-pubkey into the recipient.
func TestSourceOne(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	for n, s := range []Source{{}, {Age: "age1x", Keyscan: "h"}} {
		if err := s.Check("host add"); err == nil || textutil.HintOf(err) == "" || !strings.HasPrefix(err.Error(), "host add ") {
			t.Errorf("%d sources: %v", n, err)
		}
	}
	if err := (Source{Age: id.Recipient().String()}).Check("host add"); err != nil {
		t.Error(err)
	}
	k, err := Source{Age: id.Recipient().String()}.Resolve(context.Background())
	if err != nil || k.Recipient != id.Recipient().String() {
		t.Errorf("--age: %+v %v", k, err)
	}
	pub := filepath.Join(t.TempDir(), "key.pub")
	pair, err := NewSSHPair("root@web")
	if err != nil || os.WriteFile(pub, pair.Public, 0o644) != nil {
		t.Fatal(err)
	}
	k, err = Source{SSHPubkey: pub}.Resolve(context.Background())
	if err != nil || k.Recipient != pair.Recipient {
		t.Errorf("--ssh-pubkey: %+v %v", k, err)
	}
	if _, err := (Source{Age: "age1bogus"}).Resolve(context.Background()); textutil.HintOf(err) == "" {
		t.Errorf("a bad --age: %v", err)
	}
}
