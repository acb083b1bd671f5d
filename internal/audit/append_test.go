package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeLog appends n entries to a new log in a temporary repository and
// returns the repository root and the log's lines.
func writeLog(t *testing.T, n int) (string, []string) {
	t.Helper()
	t.Setenv(ActorEnv, "tester@host")
	root := t.TempDir()
	for i := 1; i <= n; i++ {
		e := Entry{
			Time:    time.Date(2026, 7, 1, 10, i, 0, 0, time.UTC),
			Command: "keycycle host add web" + string(rune('0'+i%10)),
			Added:   []Recipient{{Name: "web", Recipient: "age1example"}},
			Files:   []string{"sops/shared.yaml"},
		}
		if err := Append(root, e); err != nil {
			t.Fatal(err)
		}
	}
	return root, readLines(t, root)
}

func readLines(t *testing.T, root string) []string {
	t.Helper()
	data, err := os.ReadFile(Path(root))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	return lines[:len(lines)-1]
}

func TestAppendChains(t *testing.T) {
	root, lines := writeLog(t, 3)
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want 3", len(lines))
	}
	prev := Genesis
	for i, l := range lines {
		l = strings.TrimSuffix(l, "\n")
		e, err := ParseLine([]byte(l))
		if err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if e.Seq != i+1 || e.Prev != prev || e.Actor != "tester@host" {
			t.Errorf("line %d: seq %d prev %s actor %s", i+1, e.Seq, e.Prev, e.Actor)
		}
		prev = LineHash([]byte(l))
	}
	seq, hash, err := Head(root)
	if err != nil || seq != 3 || hash != prev {
		t.Errorf("Head = %d %s %v, want 3 %s", seq, hash, err, prev)
	}
	st, err := os.Stat(Path(root))
	if err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v %v, want 0644", st.Mode(), err)
	}
}

func TestAppendLineFormat(t *testing.T) {
	_, lines := writeLog(t, 1)
	want := `{"seq":1,"time":"2026-07-01T10:01:00Z","actor":"tester@host","command":"keycycle host add web1",` +
		`"added":[{"name":"web","recipient":"age1example"}],"files":["sops/shared.yaml"],"prev":"` + Genesis + `"}` + "\n"
	if lines[0] != want {
		t.Errorf("line\n got %s\nwant %s", lines[0], want)
	}
}

func TestAppendDefaults(t *testing.T) {
	t.Setenv(ActorEnv, "")
	t.Setenv("USER", "alice")
	root := t.TempDir()
	before := time.Now().UTC().Truncate(time.Second)
	if err := Append(root, Entry{Command: "keycycle x", Note: "<&>"}); err != nil {
		t.Fatal(err)
	}
	line := readLines(t, root)[0]
	if !strings.Contains(line, `"note":"<&>"`) {
		t.Errorf("HTML characters escaped: %s", line)
	}
	e, err := ParseLine([]byte(strings.TrimSpace(line)))
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	if e.Actor != "alice@"+host {
		t.Errorf("actor %q", e.Actor)
	}
	if e.Time.Before(before) || e.Time.Location() != time.UTC || e.Time.Nanosecond() != 0 {
		t.Errorf("time %v", e.Time)
	}
}

func TestAppendLongLines(t *testing.T) {
	t.Setenv(ActorEnv, "t@h")
	root := t.TempDir()
	for _, n := range []int{chunk - 200, chunk, 3*chunk + 7, 10} {
		if err := Append(root, Entry{Command: "keycycle x", Note: strings.Repeat("n", n)}); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(Path(root))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := Verify(f)
	if err != nil || !rep.OK() || rep.Entries != 4 || rep.HeadSeq != 4 {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
}

func TestAppendRefuses(t *testing.T) {
	root, lines := writeLog(t, 2)
	if err := Append(root, Entry{}); err == nil {
		t.Error("an entry without a command was appended")
	}
	cut := strings.Join(lines, "")
	cut = cut[:len(cut)-10]
	if err := os.WriteFile(Path(root), []byte(cut), 0o644); err != nil {
		t.Fatal(err)
	}
	err := Append(root, Entry{Command: "keycycle x"})
	if err == nil || !strings.Contains(err.Error(), "cut short") {
		t.Errorf("append after a cut line: %v", err)
	}
	if err := os.WriteFile(Path(root), []byte(lines[0]+"{not json}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err = Append(root, Entry{Command: "keycycle x"})
	if err == nil || !strings.Contains(err.Error(), "not a valid entry") {
		t.Errorf("append after an invalid line: %v", err)
	}
}

func TestHeadMissingAndEmpty(t *testing.T) {
	root := t.TempDir()
	if _, _, err := Head(root); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Head of no log: %v", err)
	}
	if err := os.MkdirAll(root+"/.keycycle", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(Path(root), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if seq, h, err := Head(root); seq != 0 || h != "" || err != nil {
		t.Errorf("Head of an empty log = %d %q %v", seq, h, err)
	}
}

func TestLastLine(t *testing.T) {
	for _, n := range []int{0, 1, chunk - 2, chunk - 1, chunk, chunk + 1, 2*chunk + 5} {
		for _, first := range []string{"", "first line\n"} {
			last := strings.Repeat("x", n)
			data := []byte(first + last + "\n")
			got, err := lastLine(bytes.NewReader(data), int64(len(data)))
			if err != nil || string(got) != last {
				t.Errorf("n=%d first=%q: got %d bytes, %v", n, first, len(got), err)
			}
		}
	}
}

func TestCommandLine(t *testing.T) {
	got := CommandLine([]string{"keycycle", "audit", "note", "rotated the db password", "--file=sops/a b.yaml", "it's", ""})
	want := `keycycle audit note 'rotated the db password' '--file=sops/a b.yaml' 'it'\''s' ''`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestEntryJSONOnlyGrows(t *testing.T) {
	// A line from a newer keycycle, with a field this one does not know,
	// reads and verifies.
	line := `{"seq":1,"time":"2026-07-01T10:00:00Z","actor":"a@b","command":"keycycle x","future":{"x":1},"prev":"` + Genesis + `"}`
	e, err := ParseLine([]byte(line))
	if err != nil || e.Seq != 1 {
		t.Fatalf("ParseLine: %v", err)
	}
	rep, err := Verify(strings.NewReader(line + "\n"))
	if err != nil || !rep.OK() {
		t.Errorf("Verify: %+v %v", rep.Problems, err)
	}
	var m map[string]any
	b, _ := json.Marshal(Entry{})
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"seq", "time", "actor", "command", "prev"} {
		if _, ok := m[k]; !ok {
			t.Errorf("field %q missing from the schema", k)
		}
	}
}

// TestAppendRefusesLinksOutOfTheRepository: a symlinked .keycycle or
// audit.log would carry the log (and its appends) out of the repository.
func TestAppendRefusesLinksOutOfTheRepository(t *testing.T) {
	for _, link := range []string{".keycycle", ".keycycle/audit.log"} {
		root, outside := t.TempDir(), t.TempDir()
		if link == ".keycycle/audit.log" {
			if err := os.Mkdir(filepath.Join(root, ".keycycle"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		target := filepath.Join(outside, "elsewhere")
		if link == ".keycycle" {
			if err := os.Mkdir(target, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Symlink(target, filepath.Join(root, filepath.FromSlash(link))); err != nil {
			t.Fatal(err)
		}
		err := Append(root, Entry{Command: "keycycle audit note x"})
		if err == nil || !strings.Contains(err.Error(), "symbolic link") {
			t.Errorf("%s linked out: Append gave %v, want a refusal", link, err)
		}
		if _, err := Last(root); err == nil {
			t.Errorf("%s linked out: Last accepted it", link)
		}
		if ents, _ := os.ReadDir(outside); len(ents) > 1 || (len(ents) == 1 && ents[0].IsDir() == false) {
			t.Errorf("%s linked out: something was written outside: %v", link, ents)
		}
	}
}
