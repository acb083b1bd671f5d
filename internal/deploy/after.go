package deploy

import (
	"context"
	"io"
	"path/filepath"
	"strings"

	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/textutil"
)

// Step is a host command's deploy step as its flags give it: --deploy,
// --no-deploy, --max-parallel.
type Step struct {
	// Command is the deploy command ({host}, {ssh}); "" takes
	// keycycle.yaml's deploy:.
	Command string
	// Skip leaves the hosts alone (--no-deploy).
	Skip bool
	// MaxParallel is how many hosts deploy at once.
	MaxParallel int
}

// Outcome is what a deploy step did.
type Outcome struct {
	// Hosts are the hosts whose files the change altered, sorted.
	Hosts []string
	// Command is the deploy command; "" when there is none, and the
	// hosts are only named.
	Command string
	// DryRun: the change was not written, and nothing ran.
	DryRun bool
	// Results are the hosts' deployments, sorted by host; none when
	// nothing ran.
	Results []Result
}

// Failed are the hosts whose deployment failed.
func (o *Outcome) Failed() []string {
	var failed []string
	for _, r := range o.Results {
		if !r.OK {
			failed = append(failed, r.Host)
		}
	}
	return failed
}

// After runs the deploy step for the hosts whose files the change req
// altered, once it is written: the deploy command (Command, else
// keycycle.yaml's deploy:) for each, MaxParallel at a time, their output
// on progress. In a dry run, or without a deploy command, nothing runs
// and the outcome names the hosts. A host that fails does not stop the
// others; the error then says which failed (findings: the change is
// written). The outcome is nil when there is nothing to deploy.
func (st Step) After(ctx context.Context, req Change, dryRun bool, progress io.Writer) (*Outcome, error) {
	if st.Skip {
		return nil, nil
	}
	if st.MaxParallel < 1 {
		return nil, textutil.Hintf("pass --max-parallel 1 or more", "--max-parallel %d: at least one host must deploy at a time", st.MaxParallel)
	}
	root := filepath.Dir(req.ConfigPath)
	pol, err := policy.Load(root)
	if err != nil {
		return nil, err
	}
	hosts, err := HostsFor(req, pol)
	if err != nil || len(hosts) == 0 {
		return nil, err
	}
	o := &Outcome{Hosts: hosts, Command: st.Command, DryRun: dryRun}
	if o.Command == "" && pol.Config != nil {
		o.Command = pol.Config.Deploy.Command
	}
	if o.Command == "" || dryRun {
		return o, nil
	}
	o.Results = RunAll(ctx, root, o.Command, TargetsOf(hosts, pol), st.MaxParallel, progress)
	if failed := o.Failed(); len(failed) > 0 {
		return o, textutil.Findingsf("fix the cause and deploy those hosts again (their output is above)",
			"the change is written, but deploying %s failed", strings.Join(failed, ", "))
	}
	return o, nil
}
