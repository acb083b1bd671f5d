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

// RotateDue rotates every key past its policy age, req.MaxParallel hosts
// at a time, resuming the open rotations of due keys; a dry run plans
// them and runs nothing. Progress goes to o.Stderr.
func RotateDue(ctx context.Context, o Options, req DueRequest) (res *rotation.Due, err error) {
	if req.MaxParallel < 1 {
		return nil, textutil.Hintf("pass --max-parallel 1 or more", "--max-parallel %d: at least one host must rotate at a time", req.MaxParallel)
	}
	s, err := Begin(ctx, o)
	if err != nil {
		return nil, err
	}
	defer s.End(&err)
	res = &rotation.Due{AsOf: time.Now().UTC(), DryRun: o.DryRun, MaxParallel: req.MaxParallel}
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
