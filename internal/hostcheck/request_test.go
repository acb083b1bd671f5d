package hostcheck

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keycycle/keycycle/internal/textutil"
)

// TestRequestOptions pins how host check's command line becomes Options:
// --only IDs in any case, --max-key-age read by policy.ParseAge (1y is a
// year), --recipients read as given, and a hint on every refusal.
func TestRequestOptions(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "recipients.txt")
	if err := os.WriteFile(list, []byte("age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	q := Request{Root: dir, Only: []string{" hc003", "HC001"}, MaxKeyAge: "1y", RecipientsFile: list, AuditLog: list}
	opts, err := q.Options(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(opts.Only, []string{"HC003", "HC001"}) || opts.MaxKeyAge != 365*24*time.Hour ||
		opts.RegisteredFrom != list || opts.Registered == nil || opts.KeyFileSet || opts.Audit == nil {
		t.Errorf("options: %+v", opts)
	}
	for name, bad := range map[string]Request{
		"unknown check":   {Root: dir, Only: []string{"HC999"}},
		"root not folder": {Root: list},
		"bad age":         {Root: dir, MaxKeyAge: "3 months"},
		"no recipients":   {Root: dir, RecipientsFile: filepath.Join(dir, "none")},
		"no manifest":     {Root: dir, Expect: []string{filepath.Join(dir, "none")}},
		"bad manifest":    {Root: dir, Expect: []string{list}},
		"no audit log":    {Root: dir, AuditLog: filepath.Join(dir, "none")},
	} {
		if _, err := bad.Options(context.Background()); err == nil || textutil.HintOf(err) == "" {
			t.Errorf("%s: %v, want an error with a hint", name, err)
		}
	}
	if _, err := ParseMaxKeyAge(""); err != nil {
		t.Errorf("no --max-key-age: %v", err)
	}
}

// TestWriteMetricsHint: a --metrics file that cannot be written is an
// error with a hint, after the report.
func TestWriteMetricsHint(t *testing.T) {
	var b strings.Builder
	rep := &Report{}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err := Write(&b, rep, "text", filepath.Join(file, "x.prom"))
	if err == nil || textutil.HintOf(err) == "" || b.Len() == 0 {
		t.Errorf("err %v, output %q", err, b.String())
	}
}
