package hostcheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/sopsconfig"
	"github.com/keycycle/keycycle/internal/textutil"
)

// Request is 'keycycle host check' as its command line asks it. The files
// it names (Config, RecipientsFile, Expect, AuditLog) are read as given,
// not under Root.
type Request struct {
	Root    string
	SSHKeys []string
	// KeyFile is the age key file; "" is the default (a missing one is
	// then a note, not a failure).
	KeyFile string
	User    string
	Fix     bool
	// Only are the check IDs to report, as typed (any case).
	Only []string
	// Config is the .sops.yaml that must list the host, RecipientsFile a
	// file of recipients, one a line; at most one is set.
	Config, RecipientsFile string
	// Expect are sops-nix manifest files.
	Expect []string
	// MaxKeyAge is a policy age (90d, 1y); "" is no limit.
	MaxKeyAge string
	// AuditLog is 'ausearch --raw' output; "" runs ausearch on the host
	// itself (Root "/") when it is there.
	AuditLog string
	Now      time.Time
}

// Check reads what the request names and runs the checks.
func Check(ctx context.Context, q Request) (*Report, error) {
	opts, err := q.Options(ctx)
	if err != nil {
		return nil, err
	}
	rep, err := Run(opts)
	return rep, textutil.WithHint(err, "pass --root the folder that stands for the host's /")
}

// Options turns the request into Options, reading the files it names.
// Errors carry the hint that helps (textutil.HintOf).
func (q Request) Options(ctx context.Context) (Options, error) {
	h := Options{Root: q.Root, SSHKeyPaths: q.SSHKeys, KeyFile: q.KeyFile,
		KeyFileSet: q.KeyFile != "", User: q.User, Fix: q.Fix, Now: q.Now}
	known := Checks()
	for _, typed := range q.Only {
		id := strings.ToUpper(strings.TrimSpace(typed))
		if !slices.ContainsFunc(known, func(c CheckInfo) bool { return c.ID == id }) {
			return h, textutil.Hintf(fmt.Sprintf("check IDs run from %s to %s ('keycycle host check --help' lists them)", known[0].ID, known[len(known)-1].ID),
				"--only: unknown check %q", typed)
		}
		h.Only = append(h.Only, id)
	}
	st, err := os.Stat(q.Root)
	if err != nil || !st.IsDir() {
		return h, textutil.Hintf("pass --root the folder that stands for the host's /", "--root %s is not a folder", q.Root)
	}
	if filepath.Clean(q.Root) != "/" {
		if s, ok := st.Sys().(*syscall.Stat_t); ok {
			h.RootUID = int(s.Uid)
		}
	}
	if h.MaxKeyAge, err = ParseMaxKeyAge(q.MaxKeyAge); err != nil {
		return h, err
	}
	if err := q.registered(&h); err != nil {
		return h, err
	}
	const manifestHint = "pass sops-nix's manifest (config.system.build.sops-nix-manifest) or a JSON array of secrets"
	for _, p := range q.Expect {
		data, err := os.ReadFile(p)
		if err != nil {
			return h, textutil.Hintf(manifestHint, "cannot read --expect: %v", err)
		}
		m, err := ParseManifest(data)
		if err != nil {
			return h, textutil.Hintf(manifestHint, "--expect %s: %v", p, err)
		}
		h.Expect = append(h.Expect, m)
	}
	h.Audit, err = q.audit(ctx)
	return h, err
}

// ParseMaxKeyAge reads --max-key-age as keycycle.yaml's ages are read
// (policy.ParseAge: 90d, 12w, 1y, 2160h); "" is no limit.
func ParseMaxKeyAge(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := policy.ParseAge(s)
	if err != nil {
		return 0, textutil.Hintf("write a number followed by h, d, w or y, as keycycle.yaml's max_age: 90d, 12w, 1y", "--max-key-age: %v", err)
	}
	return d, nil
}

// registered reads the .sops.yaml or the recipients file.
func (q Request) registered(h *Options) error {
	switch {
	case q.Config != "":
		cfg, err := sopsconfig.Load(q.Config)
		if err != nil {
			return textutil.Hintf("fix .sops.yaml first ('keycycle check' says what is wrong)", "%v", err)
		}
		h.Registered = append([]Registered{}, RegisteredFromConfig(cfg)...)
		h.RegisteredFrom = q.Config
	case q.RecipientsFile != "":
		data, err := os.ReadFile(q.RecipientsFile)
		if err != nil {
			return textutil.Hintf("pass a file of recipients, one a line", "cannot read --recipients: %v", err)
		}
		h.Registered = append([]Registered{}, RegisteredFromList(data)...)
		h.RegisteredFrom = q.RecipientsFile
	}
	return nil
}

// audit reads AuditLog, or asks ausearch on the host itself.
func (q Request) audit(ctx context.Context) ([]byte, error) {
	if q.AuditLog != "" {
		data, err := os.ReadFile(q.AuditLog)
		if err != nil {
			return nil, textutil.Hintf("pass the output of 'ausearch --raw -k keycycle'", "cannot read --audit-log: %v", err)
		}
		return data, nil
	}
	if filepath.Clean(q.Root) != "/" {
		return nil, nil
	}
	bin, err := exec.LookPath("ausearch")
	if err != nil {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	data, err := exec.CommandContext(ctx, bin, "--raw", "-k", AuditKey, "--start", "today").Output()
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && len(data) == 0 && ee.ExitCode() == 1) {
		return nil, nil // no audit daemon, no permission: nothing to summarise
	}
	if data == nil {
		data = []byte{}
	}
	return data, nil
}

// Write renders rep in format (json: WriteJSON, else WriteText) and,
// when metrics names a file, writes the Prometheus metrics there
// (WriteMetrics).
func Write(w io.Writer, rep *Report, format, metrics string) error {
	var err error
	if format == "json" {
		err = WriteJSON(w, rep)
	} else {
		err = WriteText(w, rep)
	}
	if err != nil || metrics == "" {
		return err
	}
	if err := WriteMetrics(metrics, rep); err != nil {
		return textutil.Hintf("make sure the folder exists and is writable", "cannot write --metrics %s: %v", metrics, err)
	}
	return nil
}
