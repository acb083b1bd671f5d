package deploy

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunAll: every host is deployed though one fails, the output lines
// carry their host, and never more than max commands run at once (each
// command counts the others running in a folder of markers).
func TestRunAll(t *testing.T) {
	dir := t.TempDir()
	script := `mkdir -p run; touch run/{host}; n=$(ls run | wc -l); echo "{host} {ssh} $n" >> log; sleep 0.2; rm run/{host}; test {host} != b`
	targets := []Target{{"a", "root@a"}, {"b", "b"}, {"c", "c"}, {"d", "d"}}
	var out bytes.Buffer
	res := RunAll(context.Background(), dir, script, targets, 2, &out)
	if len(res) != 4 {
		t.Fatalf("%d results", len(res))
	}
	for _, r := range res {
		if r.OK != (r.Host != "b") {
			t.Errorf("%s: ok %v, error %q", r.Host, r.OK, r.Error)
		}
	}
	log, err := os.ReadFile(filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(log)), "\n")
	if len(lines) != 4 {
		t.Fatalf("log %q", log)
	}
	for _, l := range lines {
		f := strings.Fields(l)
		if f[2] > "2" {
			t.Errorf("%s ran beside %s others: more than 2 at once", f[0], f[2])
		}
	}
	if !strings.Contains(string(log), "a root@a ") {
		t.Errorf("{ssh} not replaced: %q", log)
	}
	if Command("x {host}/{ssh}", Target{"h", "s"}) != "x h/s" {
		t.Error("Command")
	}
}

func TestLinePrefixer(t *testing.T) {
	var out bytes.Buffer
	p := &LinePrefixer{W: &out, Prefix: "h: "}
	_, _ = p.Write([]byte("one\ntw"))
	_, _ = p.Write([]byte("o\nthree"))
	p.Flush()
	if got := out.String(); got != "h: one\nh: two\nh: three\n" {
		t.Errorf("got %q", got)
	}
}
