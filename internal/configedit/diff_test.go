package configedit

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestUnifiedDiff(t *testing.T) {
	tests := []struct {
		name, a, b, want string
	}{
		{"equal", "a\nb\n", "a\nb\n", ""},
		{"insert in the middle", "1\n2\n3\n4\n5\n6\n7\n8\n", "1\n2\n3\n4\nnew\n5\n6\n7\n8\n",
			"--- a/.sops.yaml\n+++ b/.sops.yaml\n@@ -2,6 +2,7 @@\n 2\n 3\n 4\n+new\n 5\n 6\n 7\n"},
		{"delete first line", "1\n2\n3\n", "2\n3\n",
			"--- a/.sops.yaml\n+++ b/.sops.yaml\n@@ -1,3 +1,2 @@\n-1\n 2\n 3\n"},
		{"into an empty file", "", "a\n",
			"--- a/.sops.yaml\n+++ b/.sops.yaml\n@@ -0,0 +1 @@\n+a\n"},
		{"everything removed", "a\n", "",
			"--- a/.sops.yaml\n+++ b/.sops.yaml\n@@ -1 +0,0 @@\n-a\n"},
		{"no final newline", "a\nb", "a\nb\nc",
			"--- a/.sops.yaml\n+++ b/.sops.yaml\n@@ -1,2 +1,3 @@\n a\n-b\n\\ No newline at end of file\n+b\n+c\n\\ No newline at end of file\n"},
		{"two hunks", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "x\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\ny\n",
			"--- a/.sops.yaml\n+++ b/.sops.yaml\n@@ -1,4 +1,4 @@\n-1\n+x\n 2\n 3\n 4\n@@ -9,4 +9,4 @@\n 9\n 10\n 11\n-12\n+y\n"},
		{"hunks merged across six lines", "1\n2\n3\n4\n5\n6\n7\n8\n", "x\n2\n3\n4\n5\n6\n7\ny\n",
			"--- a/.sops.yaml\n+++ b/.sops.yaml\n@@ -1,8 +1,8 @@\n-1\n+x\n 2\n 3\n 4\n 5\n 6\n 7\n-8\n+y\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := unifiedDiff("a/.sops.yaml", "b/.sops.yaml", []byte(tt.a), []byte(tt.b), 3); got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

// TestDiffAppliesWithPatch feeds our diffs of random line edits to GNU
// patch, an independent reader of the format, and compares hunk headers
// with GNU diff's when both find the same edit.
func TestDiffAppliesWithPatch(t *testing.T) {
	patchBin, err := exec.LookPath("patch")
	if err != nil {
		t.Skip("patch not installed")
	}
	r := rand.New(rand.NewPCG(1, 2))
	words := []string{"a", "b", "c", "  - *x", "", "# c", "d\r"}
	gen := func(n int) []byte {
		var b bytes.Buffer
		for range n {
			b.WriteString(words[r.IntN(len(words))])
			b.WriteByte('\n')
		}
		if n > 0 && r.IntN(4) == 0 {
			b.Truncate(b.Len() - 1)
		}
		return b.Bytes()
	}
	dir := t.TempDir()
	for i := range 200 {
		a := gen(r.IntN(30))
		b := mutate(r, a, words)
		d := unifiedDiff("a/f", "b/f", a, b, 3)
		if bytes.Equal(a, b) != (d == "") {
			t.Fatalf("case %d: empty diff mismatch", i)
		}
		if d == "" {
			continue
		}
		f := filepath.Join(dir, "f")
		if err := os.WriteFile(f, a, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(patchBin, "-s", "-p1", "--no-backup-if-mismatch", "-d", dir)
		cmd.Stdin = strings.NewReader(d)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("case %d: patch: %v %s\n%s", i, err, out, d)
		}
		got, _ := os.ReadFile(f)
		if !bytes.Equal(got, b) {
			t.Fatalf("case %d: patched %q, want %q\n%s", i, got, b, d)
		}
		if add, rem := counts(a, b); add+rem > 0 && minimal(a, b) < add+rem {
			t.Fatalf("case %d: %d edits, LCS says %d", i, add+rem, minimal(a, b))
		}
	}
}

// mutate changes a few lines of a.
func mutate(r *rand.Rand, a []byte, words []string) []byte {
	lines := splitKeep(a)
	for range r.IntN(4) {
		switch i := r.IntN(len(lines) + 1); {
		case r.IntN(2) == 0 && i < len(lines):
			lines = append(lines[:i], lines[i+1:]...)
		default:
			lines = append(lines[:i], append([]string{words[r.IntN(len(words))] + "\n"}, lines[i:]...)...)
		}
	}
	return []byte(strings.Join(lines, ""))
}

// minimal is the number of inserted plus deleted lines of a shortest
// edit script, by dynamic programming (the reference for Myers).
func minimal(a, b []byte) int {
	withNL := func(b []byte) []string {
		if len(b) > 0 && b[len(b)-1] != '\n' {
			b = append(bytes.Clone(b), '\n')
		}
		return splitKeep(b)
	}
	x, y := withNL(a), withNL(b)
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	return len(x) + len(y) - 2*lcs[0][0]
}
