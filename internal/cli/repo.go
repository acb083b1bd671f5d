package cli

import (
	"context"

	"github.com/keycycle/keycycle/internal/ops"
	"github.com/keycycle/keycycle/internal/repo"
)

// findConfig, loadRepo and relToWD are ops's, under the names the
// commands use.
func findConfig(repoFlag string) (string, error) { return ops.FindConfig(repoFlag) }

func loadRepo(ctx context.Context, repoFlag string, exclude []string) (*repo.Repo, error) {
	return ops.LoadRepo(ctx, repoFlag, exclude)
}

func relToWD(p string) (string, bool) { return ops.RelToWD(p) }
