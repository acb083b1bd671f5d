package pipeline

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/keycycle/keycycle/internal/audit"
	"github.com/keycycle/keycycle/internal/change"
	"github.com/keycycle/keycycle/internal/sopsfile"
)

type fixture struct {
	root, cfg string
	a, b      *age.X25519Identity
	newCfg    []byte
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{root: t.TempDir()}
	f.cfg = filepath.Join(f.root, ".sops.yaml")
	f.a, _ = age.GenerateX25519Identity()
	f.b, _ = age.GenerateX25519Identity()
	write(t, f.cfg, []byte("creation_rules:\n  - path_regex: ^s/\n    age: "+f.a.Recipient().String()+"\n"))
	f.newCfg = []byte("creation_rules:\n  - path_regex: ^s/\n    age: " + f.a.Recipient().String() + "," + f.b.Recipient().String() + "\n")
	for _, rel := range []string{"s/1.yaml", "s/2.yaml"} {
		p := filepath.Join(f.root, rel)
		enc, err := sopsfile.Encrypt(p, []byte("k: v\n"), sopsfile.EncryptOptions{Groups: [][]string{{f.a.Recipient().String()}}})
		if err != nil {
			t.Fatal(err)
		}
		write(t, p, enc)
	}
	return f
}

func write(t *testing.T, p string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) open(t *testing.T, dry bool, notes *bytes.Buffer) (*Session, error) {
	return Open(context.Background(), Options{ConfigPath: f.cfg, Command: "keycycle test", DryRun: dry,
		LockTimeout: time.Second, Identities: func() []age.Identity { return []age.Identity{f.a} }, Notes: notes})
}

func (f *fixture) plan(t *testing.T) *change.Plan {
	old, _ := os.ReadFile(f.cfg)
	p, err := change.Prepare(change.Request{ConfigPath: f.cfg, OldConfig: old, NewConfig: f.newCfg, Identities: []age.Identity{f.a}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDryRunSessionRefusesWrites: a dry-run session takes no lock and
// every write through it fails with ErrDryRun, writing nothing.
func TestDryRunSessionRefusesWrites(t *testing.T) {
	f := newFixture(t)
	s, err := f.open(t, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Apply(context.Background(), f.plan(t), Change{}); err != ErrDryRun {
		t.Errorf("Apply in a dry run: %v", err)
	}
	if err := s.Record(context.Background(), Change{}); err != ErrDryRun {
		t.Errorf("Record in a dry run: %v", err)
	}
	if _, err := os.Stat(filepath.Join(f.root, ".keycycle")); err == nil {
		t.Error("a dry run made .keycycle")
	}
}

// TestOpenSweepsTemporaries: the temporary files of a killed write are
// removed under the lock, and named.
func TestOpenSweepsTemporaries(t *testing.T) {
	f := newFixture(t)
	stale := filepath.Join(f.root, "s", ".1.yaml.keycycle-tmp-42")
	write(t, stale, []byte("half"))
	var notes bytes.Buffer
	s, err := f.open(t, false, &notes)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := os.Stat(stale); err == nil {
		t.Error("the temporary file is still there")
	}
	if !strings.Contains(notes.String(), "removed s/.1.yaml.keycycle-tmp-42") {
		t.Errorf("notes: %q", notes.String())
	}
}

// TestOpenFinishesAnInterruptedChange: a change killed after its intent
// was written is finished by the next session and logged exactly once,
// whether it died before its audit entry or after it.
func TestOpenFinishesAnInterruptedChange(t *testing.T) {
	for _, logged := range []bool{false, true} {
		f := newFixture(t)
		p := f.plan(t)
		in, err := newIntent("keycycle user add b", p.Record(), Change{Entry: audit.Entry{Note: "add b"}}, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := in.save(f.root); err != nil {
			t.Fatal(err)
		}
		if logged {
			if err := p.Apply(); err != nil {
				t.Fatal(err)
			}
			if err := audit.Append(f.root, in.Entry); err != nil {
				t.Fatal(err)
			}
		}
		var notes bytes.Buffer
		s, err := f.open(t, false, &notes)
		if err != nil {
			t.Fatal(err)
		}
		if s.Finished == nil || s.Finished.ID != in.ID {
			t.Fatalf("logged=%v: the interrupted change was not finished (notes %q)", logged, notes.String())
		}
		_ = s.Close()
		if in2, _ := ReadIntent(f.root); in2 != nil {
			t.Error("the intent record is still there")
		}
		for _, rel := range []string{"s/1.yaml", "s/2.yaml"} {
			data, _ := os.ReadFile(filepath.Join(f.root, rel))
			if _, err := sopsfile.Decrypt(rel, data, f.b.String()); err != nil {
				t.Errorf("logged=%v: %s does not open with the added key: %v", logged, rel, err)
			}
		}
		log, _ := os.ReadFile(audit.Path(f.root))
		if n := strings.Count(string(log), `"change":"`+in.ID+`"`); n != 1 {
			t.Errorf("logged=%v: the change is logged %d times, want once", logged, n)
		}
	}
}

// TestApplyRefusedLeavesNoIntent: a change that finds a file changed since
// its plan writes nothing, not even its intent record, so no later
// command finishes a change that said "nothing was changed".
func TestApplyRefusedLeavesNoIntent(t *testing.T) {
	f := newFixture(t)
	p := f.plan(t)
	write(t, filepath.Join(f.root, "s/2.yaml"), []byte("edited by hand\n"))
	s, err := f.open(t, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Apply(context.Background(), p, Change{}); err == nil || !strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("Apply: %v, want a refusal", err)
	}
	if in, _ := ReadIntent(f.root); in != nil {
		t.Error("the refused change left an intent record")
	}
}
