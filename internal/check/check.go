package check

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/keycycle/keycycle/internal/agekey"
	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/repo"
	"github.com/keycycle/keycycle/internal/sopsconfig"
)

// Report is the result of one check run.
type Report struct {
	// Root is the repository folder checked.
	Root     string    `json:"root"`
	Config   string    `json:"config"`
	Files    int       `json:"files"`
	Rules    int       `json:"rules"`
	Findings []Finding `json:"findings"`
	Errors   int       `json:"errors"`
	Warnings int       `json:"warnings"`
	Infos    int       `json:"infos"`
}

// Options add to what Run checks.
type Options struct {
	// Policy is keycycle.yaml and .keycycle/keys.yaml; nil runs only the
	// checks that need .sops.yaml and the secrets files.
	Policy *policy.Policy
	// Now is the time key ages are measured at; zero means time.Now().
	Now time.Time
}

// Run checks the repository without a policy and returns every finding,
// sorted by file, line and ID.
func Run(r *repo.Repo) *Report {
	return RunWith(r, Options{})
}

// RunWith checks a loaded repository (repo.Load), with the policy's
// checks when opts.Policy is set.
func RunWith(r *repo.Repo, opts Options) *Report {
	c := start(r, opts)
	for _, e := range r.Entries {
		c.file(e)
	}
	return c.finish()
}

// Stream checks the repository repo.Open returned, reading its files as
// it goes (repo.Each): each file is checked when it is read and then
// dropped, and what the checks that look across files need is kept as
// counts and small sets (the files a policy names are kept whole). Its
// memory is bounded by the files in flight, not by the repository's size;
// its report is RunWith's for the same repository. It fails only when
// ctx is done.
func Stream(ctx context.Context, r *repo.Repo, b repo.Backend, opts Options) (*Report, error) {
	c := start(r, opts)
	if err := r.Each(ctx, b, c.file); err != nil {
		return nil, err
	}
	return c.finish(), nil
}

// start runs the checks of .sops.yaml alone and readies the per-file
// state.
func start(r *repo.Repo, opts Options) *checker {
	c := &checker{r: r, cfgFile: rel(r, r.ConfigPath), pol: opts.Policy, now: opts.Now}
	if c.now.IsZero() {
		c.now = time.Now()
	}
	if r.ConfigErr != nil {
		c.configParse(r.ConfigErr)
	} else {
		c.index()
		c.configChecks()
		c.usage = newRuleUsage(r.Config.Rules)
	}
	if c.pol != nil && c.pol.Config != nil && r.Config != nil {
		c.hosts = newHostIndex(c, c.pol)
	}
	return c
}

// file checks one secrets file and notes what the checks across files
// need of it.
func (c *checker) file(e *repo.Entry) {
	c.files++
	c.fileChecks(e)
	if c.usage != nil {
		c.usage.note(e)
	}
	if c.hosts != nil {
		c.hostsFile(c.hosts, e)
	}
}

// finish runs the checks across files and sorts the findings by file,
// line and ID. (Rule usage's findings come after the files' here; they
// cannot tie with any other: one per rule line, IDs no other check uses.)
func (c *checker) finish() *Report {
	rep := &Report{Root: c.r.Root, Config: c.cfgFile, Files: c.files}
	if c.r.ConfigErr == nil {
		rep.Rules = len(c.r.Config.Rules)
		c.ruleUsage()
	}
	c.policyChecks()
	c.openRotations()
	c.interruptedChange()
	sort.SliceStable(c.out, func(i, j int) bool {
		a, b := c.out[i], c.out[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.ID < b.ID
	})
	rep.Findings = c.out
	if rep.Findings == nil {
		rep.Findings = []Finding{}
	}
	for _, f := range rep.Findings {
		switch f.Severity {
		case Error:
			rep.Errors++
		case Warning:
			rep.Warnings++
		default:
			rep.Infos++
		}
	}
	return rep
}

// checker accumulates findings for one run.
type checker struct {
	r       *repo.Repo
	cfgFile string
	out     []Finding
	// files counts the files checked.
	files int
	// usage counts the files each rule takes (nil when .sops.yaml does
	// not parse); hosts is the policy's view of the hosts (nil without
	// one).
	usage *ruleUsage
	hosts *hostIndex
	// names maps a key value to the anchor names that hold it.
	names map[string][]string
	// listed holds every key value .sops.yaml mentions (anchors and rules).
	listed map[string]bool
	// parsed memoises recipient validation.
	parsed map[string]parsedRecipient
	pol    *policy.Policy
	now    time.Time
}

func rel(r *repo.Repo, p string) string {
	if x, err := filepath.Rel(r.Root, p); err == nil {
		return filepath.ToSlash(x)
	}
	return p
}

// add records a finding of kind id.
func (c *checker) add(id, file string, line, col int, msg, hint string) *Finding {
	c.out = append(c.out, finding(id, file, line, col, msg, hint))
	return &c.out[len(c.out)-1]
}

// finding is a finding of kind id, not yet recorded.
func finding(id, file string, line, col int, msg, hint string) Finding {
	k, _ := KindOf(id)
	return Finding{ID: id, Name: k.Name, Severity: k.Severity, File: file,
		Line: line, Column: col, Message: msg, Hint: hint}
}

func (c *checker) configParse(err error) {
	line, msg := 0, err.Error()
	var pe *sopsconfig.Error
	if errors.As(err, &pe) {
		line, msg = pe.Line, pe.Msg
	}
	c.add(IDConfigParse, c.cfgFile, line, 0, strings.TrimSuffix(msg, "."),
		"fix .sops.yaml there; sops fails with the same error until it is fixed")
}

// index builds the value → anchor names map and the set of listed keys.
func (c *checker) index() {
	c.names = map[string][]string{}
	c.listed = map[string]bool{}
	for _, a := range c.r.Config.Anchors {
		c.names[a.Value] = append(c.names[a.Value], a.Name)
		c.listed[a.Value] = true
		c.listed[keyID(a.Value)] = true
	}
	for _, rule := range c.r.Config.Rules {
		for _, g := range rule.KeyGroups {
			for _, k := range g.Keys {
				c.listed[k.Value] = true
				c.listed[keyID(k.Value)] = true
			}
		}
	}
}

// pgpFingerprint matches a PGP fingerprint or long key ID without spaces.
var pgpFingerprint = regexp.MustCompile(`^(?i)(0x)?([0-9a-f]{40}|[0-9a-f]{16})$`)

// keyID is the form in which two spellings of one key compare equal: a
// PGP fingerprint without spaces, in upper case (gpg reads it in any
// case); any other key as it is.
func keyID(v string) string {
	if t := strings.ReplaceAll(v, " ", ""); pgpFingerprint.MatchString(t) {
		return strings.ToUpper(t)
	}
	return v
}

// label names a key for a message: "rain (age1abcd…wxyz)", or the value
// whole when no anchor names it (agekey.Label).
func (c *checker) label(value string) string {
	return agekey.Label(value, c.names[value]...)
}

// updatekeysHint is the fix for a file whose recipients drifted.
func updatekeysHint(file string) string {
	return fmt.Sprintf("run 'keycycle rekey %s' to make the file match its rule", file)
}
