package rotation

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadJournal feeds Store.Load any bytes as a journal file (a journal
// edited by hand, or cut short on a full disk): it must return a journal
// in a known state or an error, never panic; what it loads saves back and
// loads again the same.
func FuzzLoadJournal(f *testing.F) {
	for _, seed := range []string{
		`{"schema":"keycycle.rotation/v1","id":"x","key":"x","state":"planned","files":[]}`,
		`{"schema":"keycycle.rotation/v1","id":"x","key":"x","kind":"user","state":"aborted","history":[{"state":"planned"}]}`,
		`{"schema":"keycycle.rotation/v1","id":"x","state":"exploded"}`,
		`{"schema":"keycycle.rotation/v1","id":"y"}`,
		`{"schema":1}`, `[]`, `null`, ``, `{"id":"x"`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := Store{Root: t.TempDir()}
		if err := os.MkdirAll(filepath.Dir(s.Path("x")), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(s.Path("x"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		j, err := s.Load("x")
		if err != nil {
			return
		}
		if j.ID != "x" || (j.State.Index() < 0 && j.State != Aborted) {
			t.Fatalf("loaded a journal with id %q in state %q", j.ID, j.State)
		}
		if err := s.Save(j); err != nil {
			t.Fatal(err)
		}
		again, err := s.Load("x")
		if err != nil || again.State != j.State || again.Key != j.Key {
			t.Fatalf("a saved journal does not load back the same: %v", err)
		}
		if _, err := s.List(); err != nil {
			t.Fatalf("List: %v", err)
		}
	})
}
