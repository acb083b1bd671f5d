package sopsfile

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/armor"

	"github.com/keycycle/keycycle/internal/fsutil"
)

// rekeyFixture is one encrypted file with n recipients, the identity of
// the first, and configs that add one recipient and that remove one.
type rekeyFixture struct {
	dir, file          string
	data               []byte
	admin              *age.X25519Identity
	addConfig, rmConfg string
}

func newRekeyFixture(b *testing.B, n int) *rekeyFixture {
	b.Helper()
	f := &rekeyFixture{dir: b.TempDir()}
	var ids []*age.X25519Identity
	var rs []string
	for i := 0; i < n+1; i++ {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, id)
		rs = append(rs, id.Recipient().String())
	}
	f.admin = ids[0]
	f.file = filepath.Join(f.dir, "sops", "host.yaml")
	plain := "passwords:\n  rain: x\n  msmtp: y\ntailscale:\n  oauth_client_secret: z\nkeys:\n  age: AGE-SECRET-KEY-1PLACEHOLDER\n"
	var err error
	f.data, err = Encrypt(f.file, []byte(plain), EncryptOptions{Groups: [][]string{rs[:n]}})
	if err != nil {
		b.Fatal(err)
	}
	write := func(name string, keys []string) string {
		p := filepath.Join(f.dir, name)
		cfg := fmt.Sprintf("creation_rules:\n  - path_regex: sops/.*\\.yaml$\n    age: %s\n", strings.Join(keys, ","))
		if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
			b.Fatal(err)
		}
		return p
	}
	f.addConfig = write("add.yaml", rs[:n+1])
	f.rmConfg = write("rm.yaml", rs[:n-1])
	return f
}

// BenchmarkRekeyAdd is keycycle's work for one file when the rule adds a
// recipient (20 stay): parse, unwrap once, wrap once, emit, verify, and a
// durable write.
func BenchmarkRekeyAdd(b *testing.B) { benchRekey(b, false) }

// BenchmarkRekeyRemove is the same when the rule drops a recipient: a new
// data key, every value encrypted again, 19 wraps.
func BenchmarkRekeyRemove(b *testing.B) { benchRekey(b, true) }

func benchRekey(b *testing.B, remove bool) {
	f := newRekeyFixture(b, 20)
	cfg := f.addConfig
	if remove {
		cfg = f.rmConfg
	}
	opts := RekeyOptions{ConfigPath: cfg, Identities: []age.Identity{f.admin}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := Rekey(f.file, f.data, opts)
		if err != nil || !res.Changed {
			b.Fatal(err)
		}
		if err := fsutil.WriteFileAtomic(f.file, res.Output, 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloorAdd is the least work adding a recipient can take: unwrap
// the data key once, wrap it for the new recipient, and replace the file
// durably with bytes of the same size.
func BenchmarkFloorAdd(b *testing.B) { benchFloor(b, 1) }

// BenchmarkFloorRemove: unwrap once, wrap a new data key for the 19 that
// stay, durable write.
func BenchmarkFloorRemove(b *testing.B) { benchFloor(b, 19) }

func benchFloor(b *testing.B, wraps int) {
	f := newRekeyFixture(b, 20)
	stanza := firstStanza(b, f.data)
	rec := f.admin.Recipient()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := age.Decrypt(armor.NewReader(strings.NewReader(stanza)), f.admin)
		if err != nil {
			b.Fatal(err)
		}
		key, err := io.ReadAll(r)
		if err != nil {
			b.Fatal(err)
		}
		for w := 0; w < wraps; w++ {
			var buf bytes.Buffer
			aw := armor.NewWriter(&buf)
			ew, err := age.Encrypt(aw, rec)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := ew.Write(key); err != nil {
				b.Fatal(err)
			}
			if err := ew.Close(); err != nil {
				b.Fatal(err)
			}
			if err := aw.Close(); err != nil {
				b.Fatal(err)
			}
		}
		if err := fsutil.WriteFileAtomic(f.file, f.data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

// firstStanza returns the armored age file of the first recipient.
func firstStanza(b *testing.B, data []byte) string {
	b.Helper()
	s := string(data)
	i := strings.Index(s, "-----BEGIN AGE ENCRYPTED FILE-----")
	j := strings.Index(s, "-----END AGE ENCRYPTED FILE-----")
	if i < 0 || j < 0 {
		b.Fatal("no stanza")
	}
	var lines []string
	for _, l := range strings.Split(s[i:j+len("-----END AGE ENCRYPTED FILE-----")], "\n") {
		lines = append(lines, strings.TrimSpace(l))
	}
	return strings.Join(lines, "\n") + "\n"
}
