package secret

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keycycle/keycycle/internal/textutil"
)

func TestReadValue(t *testing.T) {
	file := filepath.Join(t.TempDir(), "v")
	if err := os.WriteFile(file, []byte("from file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	prompt := func() ([]byte, error) { return []byte("typed"), nil }
	for _, tc := range []struct {
		name string
		src  ValueSource
		want string
	}{
		{"stdin, one newline off", ValueSource{Stdin: strings.NewReader("pw\n\n")}, "pw\n"},
		{"stdin, CRLF off", ValueSource{Stdin: strings.NewReader("pw\r\n")}, "pw"},
		{"raw keeps the bytes", ValueSource{Stdin: strings.NewReader("pw\r\n"), Raw: true}, "pw\r\n"},
		{"the prompt wins over stdin", ValueSource{Stdin: strings.NewReader("piped"), Prompt: prompt}, "typed"},
		{"the file wins over both", ValueSource{FromFile: file, Stdin: strings.NewReader("piped"), Prompt: prompt}, "from file"},
		{"exactly the limit", ValueSource{Stdin: strings.NewReader(strings.Repeat("a", MaxValueSize))}, strings.Repeat("a", MaxValueSize)},
	} {
		got, err := ReadValue(tc.src)
		if err != nil || got != tc.want {
			t.Errorf("%s: %.20q, %v; want %.20q", tc.name, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		name      string
		src       ValueSource
		msg, hint string
	}{
		{"empty", ValueSource{Stdin: strings.NewReader("\n")}, "the value is empty", "--from-file"},
		{"no stdin", ValueSource{}, "the value is empty", "--from-file"},
		{"too long", ValueSource{Stdin: strings.NewReader(strings.Repeat("a", MaxValueSize+1))}, "longer than 1048576 bytes", "under 1 MiB"},
		{"missing file", ValueSource{FromFile: file + ".no"}, "cannot read " + file + ".no", "--from-file"},
	} {
		_, err := ReadValue(tc.src)
		if err == nil || !strings.Contains(err.Error(), tc.msg) || !strings.Contains(textutil.HintOf(err), tc.hint) {
			t.Errorf("%s: %v (hint %q)", tc.name, err, textutil.HintOf(err))
		}
	}
	boom := errors.New("no terminal")
	if _, err := ReadValue(ValueSource{Prompt: func() ([]byte, error) { return nil, boom }}); !errors.Is(err, boom) {
		t.Errorf("a failed prompt: %v", err)
	}
}
