# NixOS VM test: sops-nix installs a secret, a template and a user's
# password (neededForUsers) from secrets.yaml with a known age key and SSH
# host key; keycycle enabled with its one line; the checks pass, a wrong
# mode fails them, --fix repairs it, the verify service is active and the
# metrics reach the textfile folder.
#
# Run on a machine with Nix and KVM (NixOS, or Linux with nix and
# /dev/kvm), from the repository:
#   nix flake check -L                                   # every check
#   nix build -L .#checks.x86_64-linux.host-check        # this one
# keycycle's CI has neither KVM nor a Nix store: it evaluates this node
# with nixpkgs' lib and sops-nix's module instead (nix/tests/eval, the
# vm-node case) and decrypts secrets.yaml with keys/ (nix/eval_test.go).
#
# keys/ holds TEST keys, public on purpose: age.key and the SSH host key
# are the recipients of secrets.yaml; user.key is the value of keys/age.
{ self, sops-nix }:
{
  name = "keycycle-host-check";

  nodes.machine =
    { config, ... }:
    {
      imports = [
        sops-nix.nixosModules.sops
        self.nixosModules.default
      ];

      # The keys sops-nix decrypts with, in place before it runs (a real
      # host gets them from nixos-anywhere --extra-files or a backup).
      system.activationScripts.keycycle-test-keys = ''
        install -D -m 0600 ${./keys/age.key} /var/lib/sops-nix/key.txt
        install -D -m 0600 ${./keys/ssh_host_ed25519_key} /etc/ssh/ssh_host_ed25519_key
        install -D -m 0644 ${./keys/ssh_host_ed25519_key.pub} /etc/ssh/ssh_host_ed25519_key.pub
      '';
      system.activationScripts.setupSecrets.deps = [ "keycycle-test-keys" ];
      system.activationScripts.setupSecretsForUsers.deps = [ "keycycle-test-keys" ];

      services.openssh.enable = true;
      sops.defaultSopsFile = ./secrets.yaml;
      sops.age.keyFile = "/var/lib/sops-nix/key.txt";
      sops.age.sshKeyPaths = [ "/etc/ssh/ssh_host_ed25519_key" ];
      sops.secrets."app/token" = {
        owner = "alice";
        mode = "0440";
      };
      sops.secrets.alice-password.neededForUsers = true;
      sops.templates."app.env" = {
        content = "TOKEN=${config.sops.placeholder."app/token"}";
        owner = "alice";
      };
      users.users.alice = {
        isNormalUser = true;
        hashedPasswordFile = config.sops.secrets.alice-password.path;
      };

      services.keycycle = {
        enable = true;
        userKey = "alice";
        metrics.textfileDir = "/var/lib/node-exporter-textfiles";
        audit.enable = true;
      };
    };

  testScript = ''
    machine.wait_for_unit("multi-user.target")
    machine.succeed("test -f /run/secrets/app/token")
    machine.succeed("test -f /run/secrets/rendered/app.env")
    machine.succeed("test -f /run/secrets-for-users/alice-password")
    machine.succeed("test -f /home/alice/.config/sops/age/keys.txt")
    machine.succeed("grep -q '^TOKEN=keycycle-vm-test-token$' /run/secrets/rendered/app.env")

    machine.succeed("systemctl is-active keycycle-verify.service")
    machine.succeed("keycycle host check --only HC001,HC002,HC003,HC004,HC005,HC013")

    machine.succeed("chmod 0644 /var/lib/sops-nix/key.txt")
    machine.fail("keycycle host check --only HC004")
    out = machine.succeed("keycycle host check --only HC004 --fix")
    assert "fixed: chmod 0600 /var/lib/sops-nix/key.txt" in out, out
    machine.succeed("keycycle host check --only HC004")

    machine.succeed("systemctl start keycycle-rotation-check.service")
    machine.succeed("grep -q 'keycycle_host_check_ok{check=\"HC003\"' /var/lib/node-exporter-textfiles/keycycle-rotation.prom")
    machine.succeed("grep -q 'keycycle_host_secrets_present 4' /var/lib/node-exporter-textfiles/keycycle-verify.prom")
  '';
}
