# NixOS VM test: sops-nix with a generated age key, keycycle enabled with
# its one line; the checks pass, a wrong mode fails them, --fix repairs it,
# and the metrics reach the textfile folder.
#
# Run with: nix build .#checks.x86_64-linux.host-check   (needs KVM)
# Not run by keycycle's CI, which has no Nix store.
{ self, sops-nix }:
{
  name = "keycycle-host-check";

  nodes.machine =
    { ... }:
    {
      imports = [
        sops-nix.nixosModules.sops
        self.nixosModules.default
      ];
      services.openssh.enable = true;
      sops.age.keyFile = "/var/lib/sops-nix/key.txt";
      sops.age.generateKey = true;
      sops.age.sshKeyPaths = [ "/etc/ssh/ssh_host_ed25519_key" ];
      services.keycycle = {
        enable = true;
        metrics.textfileDir = "/var/lib/node-exporter-textfiles";
        audit.enable = true;
      };
    };

  testScript = ''
    machine.wait_for_unit("multi-user.target")
    machine.wait_for_unit("sshd.service")
    machine.succeed("test -f /var/lib/sops-nix/key.txt")
    machine.succeed("keycycle host check --format json --only HC001,HC002,HC003,HC004,HC005")

    machine.succeed("chmod 0644 /var/lib/sops-nix/key.txt")
    machine.fail("keycycle host check --only HC004")
    out = machine.succeed("keycycle host check --only HC004 --fix")
    assert "fixed: chmod 0600 /var/lib/sops-nix/key.txt" in out, out
    machine.succeed("keycycle host check --only HC004")
    machine.succeed("systemctl is-active keycycle-verify.service")

    machine.succeed("systemctl start keycycle-rotation-check.service")
    machine.succeed("grep -q 'keycycle_host_check_ok{check=\"HC003\"' /var/lib/node-exporter-textfiles/keycycle-rotation.prom")
  '';
}
