package policy

import (
	"strings"
	"testing"
)

const editSeed = `version: 1
roles:
  server: []
# Hosts found in .sops.yaml
hosts:
  griefling:
    # role: server
    # ssh: root@griefling
  malphas:
    role: server # the NAS
    ssh: root@malphas

# Maximum key ages
policy:
  warn_before: 30d
`

func TestSetHostNew(t *testing.T) {
	out, err := SetHost("keycycle.yaml", []byte(editSeed), "ghost", HostEdit{Role: "server", SSH: "root@192.0.2.7"})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(editSeed, "    ssh: root@malphas\n", "    ssh: root@malphas\n  ghost:\n    role: server\n    ssh: root@192.0.2.7\n", 1)
	if string(out) != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
	cfg, err := ParseConfig("keycycle.yaml", out)
	if err != nil {
		t.Fatal(err)
	}
	if h := cfg.Host("ghost"); h == nil || h.Role.Name != "server" || h.SSH != "root@192.0.2.7" {
		t.Fatalf("ghost parsed as %+v", h)
	}
}

func TestSetHostExisting(t *testing.T) {
	// a skeleton entry with its role commented out gets real lines; a
	// set value is replaced in place, its comment kept
	out, err := SetHost("keycycle.yaml", []byte(editSeed), "griefling", HostEdit{Role: "server"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "  griefling:\n    role: server\n    # role: server\n") {
		t.Fatalf("got\n%s", out)
	}
	out, err = SetHost("keycycle.yaml", out, "malphas", HostEdit{SSH: "admin@nas"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "    role: server # the NAS\n    ssh: admin@nas\n") {
		t.Fatalf("got\n%s", out)
	}
}

func TestSetHostNoSection(t *testing.T) {
	out, err := SetHost("keycycle.yaml", []byte("version: 1"), "ghost", HostEdit{SSH: "root@ghost #1"})
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "version: 1\nhosts:\n  ghost:\n    ssh: \"root@ghost #1\"\n" {
		t.Fatalf("got %q", out)
	}
	out, err = SetHost("keycycle.yaml", []byte("version: 1\nhosts:\n# none yet\n"), "ghost", HostEdit{Role: "vm"})
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "version: 1\nhosts:\n  ghost:\n    role: vm\n# none yet\n" {
		t.Fatalf("got %q", out)
	}
}

func TestRemoveHost(t *testing.T) {
	out, ok, err := RemoveHost("keycycle.yaml", []byte(editSeed), "griefling")
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if want := strings.Replace(editSeed, "  griefling:\n    # role: server\n    # ssh: root@griefling\n", "", 1); string(out) != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
	out, ok, err = RemoveHost("keycycle.yaml", out, "malphas")
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if !strings.Contains(string(out), "hosts:\n\n# Maximum key ages\npolicy:") {
		t.Fatalf("got\n%s", out)
	}
	if _, err := ParseConfig("keycycle.yaml", out); err != nil {
		t.Fatal(err)
	}
	same, ok, err := RemoveHost("keycycle.yaml", out, "nobody")
	if err != nil || ok || string(same) != string(out) {
		t.Fatalf("absent host: %v %v", ok, err)
	}
	if _, _, err := RemoveHost("keycycle.yaml", []byte("hosts: {a: {}, b: {}}\n"), "a"); err == nil || !strings.Contains(err.Error(), "by hand") {
		t.Fatalf("flow mapping: %v", err)
	}
}

// FuzzHostEdit: no panic, and an edit that succeeds yields YAML that
// holds the host (SetHost) or not (RemoveHost).
func FuzzHostEdit(f *testing.F) {
	f.Add([]byte(editSeed), "ghost")
	f.Add([]byte("hosts:\n  a: server\n"), "a")
	f.Add([]byte("hosts:\n"), "b")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		if name == "" || strings.ContainsAny(name, ":#\n\r'\" {}[],&*!|>%@`") {
			return
		}
		if out, err := SetHost("k.yaml", data, name, HostEdit{Role: "server", SSH: "root@x"}); err == nil {
			d, err := parseDoc("k.yaml", out)
			if err != nil || d.hosts() == nil || entryIndex(d.hosts(), name) < 0 {
				t.Fatalf("SetHost result lacks %q: %v\n%s", name, err, out)
			}
		}
		if out, ok, err := RemoveHost("k.yaml", data, name); err == nil && ok {
			d, err := parseDoc("k.yaml", out)
			if err != nil || d.hosts() != nil && entryIndex(d.hosts(), name) >= 0 {
				t.Fatalf("RemoveHost result has %q: %v\n%s", name, err, out)
			}
		}
	})
}
