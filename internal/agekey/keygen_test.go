package agekey

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keycycle/keycycle/internal/textutil"
)

var keyFileRE = regexp.MustCompile(`^# created: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)\n# public key: (age1[a-z0-9]{58})\nAGE-SECRET-KEY-1[A-Z0-9]{58}\n$`)

func TestGenerate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.txt")
	rec, err := Generate(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(path)
	m := keyFileRE.FindSubmatch(data)
	if m == nil || string(m[2]) != rec {
		t.Fatalf("key file not in age-keygen format or wrong recipient:\n%s", data)
	}
	ids, err := ParseIdentityFile(bytes.NewReader(data))
	if err != nil || len(ids) != 1 {
		t.Fatal(err)
	}
	if got, _ := ids[0].Recipient(); got != rec {
		t.Fatalf("identity's recipient %q, Generate returned %q", got, rec)
	}
	if r, err := ParseRecipient(rec); err != nil || r.Kind != KindX25519 {
		t.Fatalf("ParseRecipient(generated) = %v, %v", r, err)
	}

	if _, err := Generate(path); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second Generate = %v, want fs.ErrExist", err)
	}
	again, _ := os.ReadFile(path)
	if !bytes.Equal(again, data) {
		t.Fatal("existing key file was changed")
	}
	if _, err := Generate(filepath.Join(t.TempDir(), "missing", "keys.txt")); err == nil {
		t.Fatal("Generate into a missing folder succeeded")
	}
}

func TestGenerateTo(t *testing.T) {
	var buf bytes.Buffer
	now := time.Date(2024, 5, 6, 7, 8, 9, 0, time.FixedZone("x", 2*3600))
	rec, err := generateAt(&buf, now)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "# created: 2024-05-06T07:08:09+02:00\n# public key: "+rec+"\n") {
		t.Fatalf("unexpected output:\n%s", buf.String())
	}
	a, _ := GenerateTo(&bytes.Buffer{})
	b, _ := GenerateTo(&bytes.Buffer{})
	if a == b {
		t.Fatal("two generated keys are equal")
	}
	if _, err := GenerateTo(failWriter{}); err == nil {
		t.Fatal("GenerateTo ignored a write error")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("no space left") }

// TestGenerateAgeKeygen checks that Debian's age-keygen reads our key file
// and derives the same recipient.
func TestGenerateAgeKeygen(t *testing.T) {
	bin, err := exec.LookPath("age-keygen")
	if err != nil {
		t.Skip("age-keygen not installed (CI installs it): ", err)
	}
	path := filepath.Join(t.TempDir(), "keys.txt")
	rec, err := Generate(path)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-y", path).Output()
	if err != nil {
		t.Fatalf("age-keygen -y: %v", err)
	}
	if strings.TrimSpace(string(out)) != rec {
		t.Fatalf("age-keygen -y printed %q, Generate returned %q", out, rec)
	}
}

// TestKeygenCommand pins 'keycycle keygen': to a writer for "-", to a new
// 0600 file otherwise, never over an existing one, with hints.
func TestKeygenCommand(t *testing.T) {
	var b strings.Builder
	rec, err := Keygen("-", &b)
	if err != nil || !strings.Contains(b.String(), "# public key: "+rec+"\n") {
		t.Fatalf("to stdout: %q %v", b.String(), err)
	}
	path := filepath.Join(t.TempDir(), "keys.txt")
	if rec, err = Keygen(path, nil); err != nil || !strings.HasPrefix(rec, "age1") {
		t.Fatalf("to a file: %q %v", rec, err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode: %v %v", st, err)
	}
	for _, p := range []string{path, filepath.Join(path+".d", "k")} {
		if _, err := Keygen(p, nil); textutil.HintOf(err) == "" {
			t.Errorf("%s: %v, want an error with a hint", p, err)
		}
	}
}
