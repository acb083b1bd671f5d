# The shapes users give nix/module.nix, evaluated with nixpkgs' lib and
# sops-nix's module (lib.nix); nix/eval_test.go asserts on the facts.
#   nix-instantiate --eval --strict --json nix/tests/eval/cases.nix \
#     --arg vendor ../shared/vendor -A ok.key-file
# Every `ok` case evaluates; its failed assertions are among its facts.
{ vendor }:
let
  h = import ./lib.nix { inherit vendor; };
  inherit (h) lib;

  keyFile = "/var/lib/sops-nix/key.txt";
  # A real sops file (the VM test's): sops-nix validates it at evaluation.
  base = {
    sops.defaultSopsFile = ../secrets.yaml;
    services.keycycle.enable = true;
  };
  alice.users.users.alice.isNormalUser = true;
  token.sops.secrets."app/token" = { };
  withKey.sops.age.keyFile = keyFile;

  ok = modules: h.facts (h.host { inherit modules; });
  noSops = modules: h.facts (h.host {
    sops = false;
    inherit modules;
  });

  # flake.nix's outputs, with nixpkgs and sops-nix standing in as the
  # harness's lib, pkgs and the vendored sops-nix module.
  inputs = {
    nixpkgs = {
      lib = lib // {
        inherit (h) nixosSystem;
      };
      legacyPackages = lib.genAttrs [
        "x86_64-linux"
        "aarch64-linux"
        "aarch64-darwin"
      ] (_: h.pkgs);
    };
    sops-nix.nixosModules = {
      sops = h.sopsNix;
      default = h.sopsNix;
    };
  };
  flakeOutputs =
    file: extra:
    let
      out = (import file).outputs (inputs // extra // { self = out; });
    in
    out;
  keycycleFlake = flakeOutputs ../../../flake.nix { };
in
{
  ok = {
    key-file = ok [
      base
      withKey
      alice
      { sops.secrets."app/token".owner = "alice"; }
    ];
    generate-key = ok [
      base
      withKey
      token
      { sops.age.generateKey = true; }
    ];
    ssh-strings = ok [
      base
      token
      { sops.age.sshKeyPaths = [ "/etc/ssh/ssh_host_ed25519_key" ]; }
    ];
    # As sops-nix's own tests write them: path values.
    ssh-paths = ok [
      base
      token
      { sops.age.sshKeyPaths = [ ../keys/ssh_host_ed25519_key ]; }
    ];
    # sops-nix's default: the ed25519 keys of services.openssh.hostKeys.
    ssh-openssh = ok [
      base
      token
      { services.openssh.enable = true; }
    ];
    systemd-activation = ok [
      base
      withKey
      token
      { systemd.sysusers.enable = true; }
    ];
    # Only neededForUsers secrets: the regular manifest is empty.
    for-users-only = ok [
      base
      withKey
      (
        { config, ... }:
        {
          sops.secrets.alice-password.neededForUsers = true;
          users.users.alice = {
            isNormalUser = true;
            hashedPasswordFile = config.sops.secrets.alice-password.path;
          };
        }
      )
    ];
    for-users-systemd = ok [
      base
      withKey
      token
      { systemd.sysusers.enable = true; }
      { sops.secrets.alice-password.neededForUsers = true; }
    ];
    templates = ok [
      base
      withKey
      alice
      token
      (
        { config, ... }:
        {
          sops.templates."app.env" = {
            content = "TOKEN=${config.sops.placeholder."app/token"}";
            owner = "alice";
          };
        }
      )
    ];
    user-key = ok [
      base
      withKey
      alice
      { services.keycycle.userKey = "alice"; }
    ];
    audit = ok [
      base
      withKey
      token
      {
        sops.age.sshKeyPaths = [ ../keys/ssh_host_ed25519_key ];
        sops.secrets.alice-password.neededForUsers = true;
        services.keycycle.audit.enable = true;
      }
    ];
    # A key file elsewhere, every kind of secret: its manifests are
    # internal/hostcheck/testdata/sops-nix/*.json.
    persist = ok [
      base
      alice
      (
        { config, ... }:
        {
          sops.age.keyFile = "/persist/sops/key.txt";
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
        }
      )
    ];
    metrics = ok [
      base
      withKey
      token
      { services.keycycle.metrics.textfileDir = "/var/lib/prometheus-node-exporter-text-files"; }
    ];
    # sops-nix without a key: keycycle's assertion says what to set.
    no-key = ok [ base ];
    no-sops-disabled = noSops [ ];
    no-sops-disabled-user-key = noSops [ { services.keycycle.userKey = "rain"; } ];
    no-sops-enabled = noSops [ { services.keycycle.enable = true; } ];
    no-sops-enabled-user-key = noSops [
      {
        services.keycycle.enable = true;
        services.keycycle.userKey = "rain";
      }
    ];

    # The VM test's machine, evaluated (it runs only where KVM is).
    vm-node =
      let
        test = keycycleFlake.checks.x86_64-linux.host-check;
      in
      h.facts (h.nixosSystem { modules = [ test.nodes.machine ]; })
      // {
        inherit (test) name testScript;
      };
  };

  # The flake's package: its version stamp and vendorHash.
  package =
    let
      p = keycycleFlake.packages.x86_64-linux.default;
    in
    {
      inherit (p) name version;
      inherit (p.goModuleArgs) vendorHash ldflags subPackages;
      fakeHash = lib.fakeHash;
      modulePackage = toString keycycleFlake.packages.x86_64-linux.keycycle;
    };

  # A user's flake.nix (the README's snippet, written to dir by the test)
  # with its configuration.nix beside it, through keycycle's flake.
  snippet =
    dir:
    let
      out = flakeOutputs (dir + "/flake.nix") { keycycle = keycycleFlake; };
    in
    h.facts (lib.head (lib.attrValues out.nixosConfigurations));
}
