package secret

import (
	"bytes"
	"io"
	"os"
	"strings"

	"github.com/keycycle/keycycle/internal/textutil"
)

// MaxValueSize bounds a value read from stdin or a file: 1 MiB.
const MaxValueSize = 1 << 20

// ValueSource is where 'secret set' reads a value from. The first that
// is given wins: FromFile, then Prompt, then Stdin.
type ValueSource struct {
	// FromFile is --from-file: a file to read the value from.
	FromFile string
	// Prompt, given when stdin is a terminal, asks for one line without
	// echo, so that the value never shows.
	Prompt func() ([]byte, error)
	// Stdin is read to its end when there is neither.
	Stdin io.Reader
	// Raw keeps the bytes exactly; without it one final newline ("\n",
	// then a "\r" before it) is taken off, as echo adds one.
	Raw bool
}

// ReadValue reads a value from its source, bounded by MaxValueSize. An
// empty value is refused.
func ReadValue(src ValueSource) (string, error) {
	r := src.Stdin
	switch {
	case src.FromFile != "":
		f, err := os.Open(src.FromFile)
		if err != nil {
			return "", textutil.Hintf("check the path given to --from-file", "cannot read %s: %s", src.FromFile, textutil.ErrReason(err))
		}
		defer f.Close()
		r = f
	case src.Prompt != nil:
		line, err := src.Prompt()
		if err != nil {
			return "", err
		}
		r = bytes.NewReader(line)
	case r == nil:
		r = strings.NewReader("")
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxValueSize+1))
	if err != nil {
		return "", err
	}
	if len(data) > MaxValueSize {
		return "", textutil.Hintf("keep a secret under 1 MiB", "the value is longer than %d bytes", MaxValueSize)
	}
	v := string(data)
	if !src.Raw {
		v = strings.TrimSuffix(strings.TrimSuffix(v, "\n"), "\r")
	}
	if v == "" {
		return "", textutil.Hintf("pipe the value in (printf %s \"$VALUE\" | keycycle secret set …) or use --from-file", "the value is empty")
	}
	return v, nil
}
