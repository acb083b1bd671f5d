package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/keycycle/keycycle/internal/audit"
	"github.com/keycycle/keycycle/internal/change"
	"github.com/keycycle/keycycle/internal/fsutil"
	"github.com/keycycle/keycycle/internal/vcs"
)

// IntentFile is where a change's intent is kept while it is written,
// relative to the repository root. It is local to the checkout (in
// .keycycle/.gitignore) and holds no plaintext: see change.Record.
const IntentFile = ".keycycle/intent.json"

// intentSchema names the format of IntentFile.
const intentSchema = "keycycle.intent/v1"

// Intent is a change about to be written: enough to finish it and record
// it, whatever stops the process that started it.
type Intent struct {
	Schema  string    `json:"schema"`
	ID      string    `json:"id"`
	Command string    `json:"command"`
	Started time.Time `json:"started"`
	// Change is what the change writes.
	Change *change.Record `json:"change"`
	// Entry is its audit entry; Subject and Paths its commit, made with
	// VCS ("" for none).
	Entry   audit.Entry `json:"entry"`
	Subject string      `json:"subject,omitempty"`
	Paths   []string    `json:"paths,omitempty"`
	VCS     string      `json:"vcs,omitempty"`
}

func newIntent(command string, rec *change.Record, c Change, kind vcs.Kind) (*Intent, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	in := &Intent{Schema: intentSchema, ID: hex.EncodeToString(b[:]), Command: command,
		Started: time.Now().UTC().Truncate(time.Second), Change: rec, Entry: c.Entry, Subject: c.Subject, Paths: c.Paths}
	if kind != vcs.None {
		in.VCS = string(kind)
	}
	in.Entry.Command, in.Entry.Change = command, in.ID
	return in, nil
}

func (in *Intent) save(root string) error {
	data, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(filepath.Join(root, filepath.FromSlash(IntentFile)), data, 0o600)
}

// ReadIntent returns the intent of a change that was interrupted in the
// repository at root, or nil when there is none.
func ReadIntent(root string) (*Intent, error) {
	p := filepath.Join(root, filepath.FromSlash(IntentFile))
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var in Intent
	if err := json.Unmarshal(data, &in); err != nil || in.Schema != intentSchema || in.Change == nil {
		return nil, &IntentError{Path: p, Msg: "it is damaged or not keycycle's"}
	}
	return &in, nil
}

// IntentError is an intent record that cannot be read.
type IntentError struct{ Path, Msg string }

func (e *IntentError) Error() string {
	return fmt.Sprintf("%s: the record of an interrupted change cannot be read: %s", e.Path, e.Msg)
}

func dropIntent(root string) error {
	p := filepath.Join(root, filepath.FromSlash(IntentFile))
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return fsutil.SyncDir(filepath.Dir(p))
}

// finish completes an interrupted change and records it.
func (s *Session) finish(ctx context.Context, in *Intent) error {
	var ids = s.opts.Identities
	plan, err := change.Finish(s.opts.ConfigPath, in.Change, ids())
	if err != nil {
		return &FinishError{Intent: in, Err: err}
	}
	if err := plan.Apply(); err != nil {
		return &FinishError{Intent: in, Err: err}
	}
	if len(plan.Skipped) > 0 {
		in.Entry.Note = strings.TrimSpace(in.Entry.Note + " (changed by another tool meanwhile, left as they are: " + strings.Join(plan.Skipped, ", ") + ")")
	}
	if err := s.conclude(ctx, in); err != nil {
		return err
	}
	s.Finished = in
	fmt.Fprintf(s.opts.Notes, "keycycle: finished the interrupted change '%s' of %s (%d file(s) written now)\n",
		in.Command, in.Started.Format(time.RFC3339), len(plan.Files))
	return nil
}

// FinishError is an interrupted change that could not be finished.
type FinishError struct {
	Intent *Intent
	Err    error
}

func (e *FinishError) Error() string {
	return fmt.Sprintf("the interrupted change '%s' (%s) cannot be finished: %v", e.Intent.Command, e.Intent.Started.Format(time.RFC3339), e.Err)
}

// Unwrap returns the cause.
func (e *FinishError) Unwrap() error { return e.Err }
