package policy

import (
	"fmt"
	"strings"
	"time"
)

// skeletonHead is the part of the keycycle.yaml skeleton that does not
// depend on the repository: the seed's categories and roles, with the
// secret paths of its Appendix B, commented out until they are checked.
const skeletonHead = `# keycycle.yaml: the policy 'keycycle check' enforces (docs/md).
# Written by 'keycycle init'; edit it freely, init never overwrites it.
version: 1

# Secret categories: the secret paths a host of a role needs, and the file
# each lives in: shared (sops/shared.yaml), host (sops/<host>.yaml) or a
# path. Uncomment the secrets your hosts really need.
categories:
  base:
    secrets:
      # passwords/rain: shared
      # passwords/msmtp: shared
      # keys/age: host
  desktop:
    secrets:
      # env_hass_server: shared
      # env_hass_token: shared
  server:
    secrets:
      # passwords/borg: shared
      # keys/ssh/borg: shared
  network:
    secrets:
      # tailscale/oauth_client_id: shared
      # tailscale/oauth_client_secret: shared
  cli:
    secrets:
      # atuin/key: shared

# Roles: the categories their hosts need.
roles:
  desktop: [base, desktop, network, cli]
  laptop: [base, desktop, network, cli]
  server: [base, server, network, cli]
  vm: [base]
  pi: [base, network]
  tablet: [base, desktop]

`

const skeletonTail = `
# Maximum key ages; 'keycycle check' fails on overdue keys and warns
# within warn_before of the due date.
policy:
  max_age:
    host: 365d
    user: 365d
    admin: 2y
    backup: 2y
  # role_max_age:
  #   server: 90d
  warn_before: 30d
  new_data_key_on_revoke: true
%s
# deploy: nixos-rebuild switch --flake .#{host} --target-host {ssh}
vcs: auto
`

// graceLines set enforce_from in the skeleton: until then an
// overdue key is a warning.
func GraceLines(until time.Time, overdue int) string {
	return fmt.Sprintf("  # %d key(s) were past these ages when keycycle init adopted the repository:\n"+
		"  # until this date 'keycycle check' reports them as warnings (KC301), then as errors.\n"+
		"  enforce_from: %s\n", overdue, until.Format("2006-01-02"))
}

// Skeleton is the commented keycycle.yaml keycycle init writes, with
// the host keys of keys; grace is "" or GraceLines.
func Skeleton(keys *Keys, grace string) []byte {
	var b strings.Builder
	b.WriteString(skeletonHead)
	b.WriteString("# Hosts found in .sops.yaml: give each its role (and ssh: target).\nhosts:\n")
	n := 0
	for _, k := range keys.Keys {
		if k.Kind != KindHost {
			continue
		}
		n++
		fmt.Fprintf(&b, "  %s:\n    # role: server\n    # ssh: root@%s\n", k.Name, k.Name)
	}
	if n == 0 {
		b.WriteString("  # myhost:\n  #   role: server\n")
	}
	b.WriteString(fmt.Sprintf(skeletonTail, grace))
	return []byte(b.String())
}
