package hostcheck

import (
	"os"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"
)

// Registry returns a fresh Prometheus registry holding the report's
// metrics, for node_exporter's textfile collector:
//
//	keycycle_host_check_ok{check,name}        1 ok (or not applicable), 0 warn or fail
//	keycycle_host_check_status{check,name}    0 ok, 1 warn, 2 fail
//	keycycle_host_key_file_age_seconds        age of the age key file
//	keycycle_host_secrets_expected            secrets of --expect (absent without it)
//	keycycle_host_secrets_present             secrets found
//	keycycle_host_check_timestamp_seconds     when the check ran
//	keycycle_host_check_success               1 when no check failed
func Registry(rep *Report) (*prometheus.Registry, error) {
	reg := prometheus.NewRegistry()
	okVec := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "keycycle_host_check_ok",
		Help: "1 when the keycycle host check passed (or did not apply), 0 on warn or fail.",
	}, []string{"check", "name"})
	stVec := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "keycycle_host_check_status",
		Help: "Status of the keycycle host check: 0 ok, 1 warn, 2 fail.",
	}, []string{"check", "name"})
	for _, r := range rep.Results {
		ok := 0.0
		if r.Status == OK {
			ok = 1
		}
		okVec.WithLabelValues(r.ID, r.Name).Set(ok)
		stVec.WithLabelValues(r.ID, r.Name).Set(float64(r.Status.rank()))
	}
	cs := []prometheus.Collector{okVec, stVec,
		gauge("keycycle_host_check_timestamp_seconds", "Unix time of the last keycycle host check.", float64(rep.Time.UnixNano())/1e9),
		gauge("keycycle_host_secrets_present", "Secrets found installed under /run/secrets.", float64(rep.SecretsPresent)),
		gauge("keycycle_host_check_success", "1 when no keycycle host check failed.", boolFloat(rep.Status() != Fail)),
	}
	if rep.SecretsExpected >= 0 {
		cs = append(cs, gauge("keycycle_host_secrets_expected", "Secrets the sops-nix manifest declares.", float64(rep.SecretsExpected)))
	}
	if rep.KeyFileAge != nil {
		cs = append(cs, gauge("keycycle_host_key_file_age_seconds", "Seconds since the age key file was last changed.", rep.KeyFileAge.Seconds()))
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return reg, nil
}

func gauge(name, help string, v float64) prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
	g.Set(v)
	return g
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// WriteMetrics writes the report's metrics to path in Prometheus text
// format, atomically (a temporary file renamed over path, mode 0644 so
// that node_exporter can read it). The folder is created when missing.
func WriteMetrics(path string, rep *Report) error {
	reg, err := Registry(rep)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return prometheus.WriteToTextfile(path, reg)
}
