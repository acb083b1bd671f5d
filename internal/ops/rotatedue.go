package ops

import (
	"context"
	"time"

	"github.com/keycycle/keycycle/internal/rotation"
	"github.com/keycycle/keycycle/internal/textutil"
)

// DueRequest is what 'rotate due' is asked.
type DueRequest struct {
	// MaxParallel is how many hosts rotate at once (at least 1).
	MaxParallel int
	// Soon also rotates the keys inside the policy's warning window.
	Soon bool
	// Base holds the operator's reach and deploy flags, for every
	// rotation (rotation.Start without a Key).
	Base rotation.Start
}

// DueResult is what 'rotate due' did; its keys are
// keycycle.rotate-due/v1's.
type DueResult struct {
	// AsOf is when the keys' ages were taken.
	AsOf time.Time
	Keys []*rotation.DueKey
}

// Failed tells whether a rotation failed (the command's finding).
func (r *DueResult) Failed() bool {
	for _, k := range r.Keys {
		if k.Result == rotation.DueFailed {
			return true
		}
	}
	return false
}

// RotateDue rotates every key past its policy age, req.MaxParallel hosts
// at a time, resuming the open rotations of due keys; a dry run plans
// them and runs nothing. Progress goes to o.Stderr.
func RotateDue(ctx context.Context, o Options, req DueRequest) (res *DueResult, err error) {
	if req.MaxParallel < 1 {
		return nil, textutil.Hintf("pass --max-parallel 1 or more", "--max-parallel %d: at least one host must rotate at a time", req.MaxParallel)
	}
	s, err := Begin(ctx, o)
	if err != nil {
		return nil, err
	}
	defer s.End(&err)
	res = &DueResult{AsOf: time.Now().UTC()}
	if res.Keys, err = rotation.PlanDue(s.ConfigPath, res.AsOf, req.Soon, req.Base, s.Opts.DryRun); err != nil {
		return nil, err
	}
	if !s.DryRun() {
		r, err := s.RotationRunner(&rotation.LockedWriter{W: s.Opts.Stderr})
		if err != nil {
			return nil, err
		}
		rotation.RunDue(ctx, r, res.Keys, req.MaxParallel)
	}
	return res, nil
}
