package vcs

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestKeyHistoryCreatedIsTheOldestCommitThatAddedTheKey(t *testing.T) {
	dir := newGitRepo(t)
	cfg := filepath.Join(dir, ".sops.yaml")
	commit := func(body, date string) {
		t.Helper()
		if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Setenv("GIT_AUTHOR_DATE", date)
		git(t, dir, "add", ".sops.yaml")
		git(t, dir, "commit", "-q", "-m", "keys")
	}
	commit("keys:\n  - &a age1aaa\n", "2024-01-02T03:04:05+02:00")
	commit("keys:\n  - &a age1aaa\n  - &b age1bbb\n", "2025-06-07T08:09:10Z")
	h := NewKeyHistory(dir)
	got := h.Created(context.Background(), "age1aaa")
	if want := time.Date(2024, 1, 2, 1, 4, 5, 0, time.UTC); got == nil || !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("Created(a) = %v, want %v", got, want)
	}
	if got := h.Created(context.Background(), "age1bbb"); got == nil || got.Year() != 2025 {
		t.Errorf("Created(b) = %v, want 2025", got)
	}
	if got := h.Created(context.Background(), "age1never"); got != nil {
		t.Errorf("Created(never) = %v, want nil", got)
	}
}
