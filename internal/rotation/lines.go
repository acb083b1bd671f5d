package rotation

import "github.com/keycycle/keycycle/internal/deploy"

// LockedWriter makes each Write to W whole and alone: for the Out of a
// Runner that runs several rotations at once.
type LockedWriter = deploy.LockedWriter
