package textutil

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestOneLine(t *testing.T) {
	for in, want := range map[string]string{
		"":                               "",
		"one":                            "one",
		"  a\tb  ":                       "a b",
		"decrypt the file. In\norder":    "decrypt the file. In order",
		"fatal: no\n\nhint: run git\r\n": "fatal: no hint: run git",
	} {
		if got := OneLine(in); got != want {
			t.Errorf("OneLine(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestErrReason(t *testing.T) {
	_, err := os.Open(filepath.Join(t.TempDir(), "missing"))
	if got := ErrReason(err); got != "no such file or directory" {
		t.Errorf("PathError: %q", got)
	}
	if got := ErrReason(fmt.Errorf("wrapped: %w", err)); got != "no such file or directory" {
		t.Errorf("wrapped PathError: %q", got)
	}
	if got := ErrReason(errors.New("plain")); got != "plain" {
		t.Errorf("plain: %q", got)
	}
}

func TestHintOf(t *testing.T) {
	err := fmt.Errorf("loading: %w", Hintf("run 'keycycle check'", "bad %s", "file"))
	if got := HintOf(err); got != "run 'keycycle check'" {
		t.Errorf("HintOf = %q", got)
	}
	if got := HintOf(WithHint(err, "other")); got != "run 'keycycle check'" {
		t.Errorf("WithHint replaced the hint: %q", got)
	}
	if got := HintOf(WithHint(errors.New("plain"), "do this")); got != "do this" {
		t.Errorf("WithHint on a plain error: %q", got)
	}
	if WithHint(nil, "x") != nil {
		t.Error("WithHint(nil) is not nil")
	}
	if HintOf(errors.New("plain")) != "" {
		t.Error("a plain error has a hint")
	}
}
