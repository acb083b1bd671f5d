package hostcheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func TestMetricsParseBack(t *testing.T) {
	h := newHost(t)
	os.Chmod(h.path("/var/lib/sops-nix/key.txt"), 0o644)
	os.Remove(h.path("/run/secrets.d/1/wifi"))
	rep := run(t, h.opts())
	out := filepath.Join(t.TempDir(), "keycycle.prom")
	if err := WriteMetrics(out, rep); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(out)
	if err != nil || st.Mode().Perm() != 0o644 {
		t.Fatalf("metrics file: %v %v", err, st.Mode())
	}
	f, _ := os.Open(out)
	defer f.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(f)
	if err != nil {
		t.Fatal(err)
	}
	okFam := fams["keycycle_host_check_ok"]
	if okFam == nil || len(okFam.Metric) != len(rep.Results) {
		t.Fatalf("keycycle_host_check_ok: %v", okFam)
	}
	got := map[string]float64{}
	for _, m := range okFam.Metric {
		for _, l := range m.Label {
			if l.GetName() == "check" {
				got[l.GetValue()] = m.Gauge.GetValue()
			}
		}
	}
	for _, r := range rep.Results {
		w := 0.0
		if r.Status == OK {
			w = 1
		}
		if got[r.ID] != w {
			t.Errorf("%s: %v, want %v", r.ID, got[r.ID], w)
		}
	}
	if got["HC004"] != 0 || got["HC008"] != 0 || got["HC001"] != 1 {
		t.Errorf("gauges %v", got)
	}
	one := func(name string) float64 {
		fam := fams[name]
		if fam == nil || len(fam.Metric) != 1 {
			t.Fatalf("%s: %v", name, fam)
		}
		return fam.Metric[0].Gauge.GetValue()
	}
	if one("keycycle_host_secrets_expected") != 2 || one("keycycle_host_secrets_present") != 1 {
		t.Error("secrets gauges")
	}
	if one("keycycle_host_check_success") != 0 {
		t.Error("success gauge")
	}
	if ts := one("keycycle_host_check_timestamp_seconds"); int64(ts) != rep.Time.Unix() {
		t.Errorf("timestamp %v", ts)
	}
	if age := one("keycycle_host_key_file_age_seconds"); age < 0 || age > 3600 {
		t.Errorf("key age %v", age)
	}
}

func TestUnitsVerify(t *testing.T) {
	dir := t.TempDir()
	units, err := Units(UnitOptions{Binary: "/bin/true", Expect: "/etc/keycycle/manifest.json",
		MetricsDir: "/var/lib/node exporter", MaxKeyAge: "90d"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(units[0].Content, `ExecStart=/bin/true host check --expect /etc/keycycle/manifest.json --metrics "/var/lib/node exporter/keycycle.prom" --max-key-age 90d`) {
		t.Errorf("service:\n%s", units[0].Content)
	}
	var paths []string
	for _, u := range units {
		p := filepath.Join(dir, u.Name)
		os.WriteFile(p, []byte(u.Content), 0o644)
		paths = append(paths, p)
	}
	if _, err := Units(UnitOptions{Binary: "keycycle"}); err == nil {
		t.Error("a relative binary path was accepted")
	}
	bin, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed")
	}
	out, err := exec.Command(bin, append([]string{"verify", "--man=no"}, paths...)...).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

func TestParseAudit(t *testing.T) {
	raw := `type=SYSCALL msg=audit(1700000000.100:11): arch=c000003e syscall=257 success=yes exit=3 ppid=1 pid=42 auid=1000 uid=0 gid=0 comm="cat" exe="/usr/bin/cat" key="keycycle"
type=CWD msg=audit(1700000000.100:11): cwd="/root"
type=PATH msg=audit(1700000000.100:11): item=0 name="/var/lib/sops-nix/key.txt" inode=5 nametype=NORMAL
type=SYSCALL msg=audit(1700000001.100:12): arch=c000003e syscall=257 success=yes auid=4294967295 uid=0 comm="sops-install-se" exe="/nix/store/x/bin/sops-install-secrets" key="keycycle"
type=PATH msg=audit(1700000001.100:12): item=0 name="/var/lib/sops-nix/key.txt" nametype=NORMAL
type=SYSCALL msg=audit(1700000002.100:13): uid=0 exe="/usr/bin/cat" key="other"
type=SYSCALL msg=audit(1700000003.100:14): arch=c000003e syscall=257 auid=1000 uid=0 comm="cat" exe="/usr/bin/cat" key="keycycle"
type=PATH msg=audit(1700000003.100:14): item=0 name="/var/lib/sops-nix/key.txt" nametype=NORMAL
`
	s := ParseAudit([]byte(raw))
	if s.Events != 3 || len(s.Readers) != 2 || s.Readers[0].Count != 2 || s.Readers[0].Exe != "/usr/bin/cat" || s.Readers[0].AUID != "1000" {
		t.Errorf("%s", mustJSON(t, s))
	}
}
