package hostcheck

import "time"

// Status is the outcome of one check.
type Status string

// The three outcomes, in increasing order of gravity.
const (
	// OK means nothing to report.
	OK Status = "ok"
	// Warn means something to look at that does not stop decryption.
	Warn Status = "warn"
	// Fail means the host cannot decrypt, or a key is exposed.
	Fail Status = "fail"
)

// rank orders statuses so that the worst one wins.
func (s Status) rank() int {
	switch s {
	case Warn:
		return 1
	case Fail:
		return 2
	}
	return 0
}

// worse returns the graver of a and b.
func worse(a, b Status) Status {
	if b.rank() > a.rank() {
		return b
	}
	return a
}

// Result is the outcome of one check.
type Result struct {
	// ID is the stable check ID, "HC001"….
	ID string `json:"id"`
	// Name is a short stable name, "ssh-host-key"….
	Name string `json:"name"`
	// Status is ok, warn or fail.
	Status Status `json:"status"`
	// Message says what was found, in one line.
	Message string `json:"message"`
	// Details are one line per file or item when there is more to say.
	Details []string `json:"details,omitempty"`
	// Hint says what to do; empty when the status is ok.
	Hint string `json:"hint,omitempty"`
	// Fixed lists what --fix changed.
	Fixed []string `json:"fixed,omitempty"`
	// Skipped is true when the check did not apply (no --repo, no --user).
	Skipped bool `json:"skipped,omitempty"`
}

// Recipient is one public recipient of the host, printed by the check.
type Recipient struct {
	// Source is the host file it comes from.
	Source string `json:"source"`
	// Kind is "ssh-host-key" or "age-key-file".
	Kind string `json:"kind"`
	// Age is the age1… recipient (ssh-to-age for an SSH key).
	Age string `json:"age"`
	// SSH is the ssh-ed25519 public key, for an SSH host key.
	SSH string `json:"ssh,omitempty"`
	// Registered tells whether .sops.yaml has it (nil when not checked).
	Registered *bool `json:"registered,omitempty"`
}

// Report is everything one run found.
type Report struct {
	// Time is when the check ran.
	Time time.Time `json:"time"`
	// Root is the folder standing for "/" ("/" on the host).
	Root string `json:"root"`
	// Results holds one result per check, in ID order.
	Results []Result `json:"checks"`
	// Recipients are the host's public recipients.
	Recipients []Recipient `json:"recipients"`
	// KeyFileAge is the age of the age key file (from its modification
	// time), or nil when there is none.
	KeyFileAge *time.Duration `json:"-"`
	// KeyFileAgeSeconds is KeyFileAge in seconds, for JSON.
	KeyFileAgeSeconds *float64 `json:"key_file_age_seconds,omitempty"`
	// SecretsExpected and SecretsPresent count the secrets of --expect
	// (Expected is -1 without it).
	SecretsExpected int `json:"secrets_expected"`
	// SecretsPresent counts the secrets found (files under /run/secrets
	// without --expect).
	SecretsPresent int `json:"secrets_present"`
	// Audit summarises audit events, when there were any to read.
	Audit *AuditSummary `json:"audit,omitempty"`
}

// Status is the worst status of all results.
func (r *Report) Status() Status {
	s := OK
	for _, res := range r.Results {
		s = worse(s, res.Status)
	}
	return s
}

// add appends a result.
func (r *Report) add(res Result) { r.Results = append(r.Results, res) }
