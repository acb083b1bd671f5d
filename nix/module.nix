# NixOS module for keycycle: checks the keys and secrets sops-nix uses, on
# every activation and every day, and feeds node_exporter.
#
#   imports = [ sops-nix.nixosModules.sops keycycle.nixosModules.default ];
#   services.keycycle.enable = true;
#
# Every default comes from sops-nix's own options (sops.age.keyFile,
# sops.age.sshKeyPaths) and manifests (config.system.build.sops-nix-manifest),
# so that one line is enough. nix/tests/eval evaluates it with nixpkgs' lib
# and sops-nix's module (docs/host.md).
{
  config,
  lib,
  pkgs,
  options,
  ...
}:
let
  cfg = config.services.keycycle;
  # sops-nix is imported: its options exist. Every definition under
  # sops.* below is made only then, so that importing this module without
  # sops-nix evaluates, and enabling it gives the assertion below.
  hasSops = options ? sops && options.sops ? secrets;
  sopsCfg = config.sops;
  build = config.system.build;
  exe = "${cfg.package}/bin/keycycle";

  # sops-nix's own manifests, the files sops-install-secrets reads: the
  # regular secrets and templates (/run/secrets), and the neededForUsers
  # secrets (/run/secrets-for-users), when there are any.
  forUsers = hasSops && lib.any (s: s.neededForUsers) (lib.attrValues sopsCfg.secrets);
  manifests =
    lib.optional (build ? sops-nix-manifest) build.sops-nix-manifest
    ++ lib.optional (forUsers && build ? sops-nix-users-manifest) build.sops-nix-users-manifest;
  expectArgs = lib.concatMapStringsSep " " (m: "--expect ${m}") manifests;

  # Paths as strings: a path value would be copied into the Nix store
  # when interpolated (a private key, world-readable there).
  keyFile = if cfg.keyFile == null then null else toString cfg.keyFile;
  sshKeyPaths = map toString cfg.sshKeyPaths;
  keyArgs = lib.concatStringsSep " " (
    lib.optional (keyFile != null) "--key-file ${lib.escapeShellArg keyFile}"
    ++ map (p: "--ssh-key ${lib.escapeShellArg p}") sshKeyPaths
  );
  userArg = lib.optionalString (cfg.userKey != null) "--user ${lib.escapeShellArg cfg.userKey}";
  metricsArgs =
    name:
    lib.optional (
      cfg.metrics.textfileDir != null
    ) "--metrics ${lib.escapeShellArg "${cfg.metrics.textfileDir}/keycycle-${name}.prom"}";
  # `keycycle host check` with the keys, manifests and user, then extra.
  checkCommand =
    extra:
    lib.concatStringsSep " " (
      lib.filter (a: a != "") (
        [
          exe
          "host"
          "check"
          keyArgs
          expectArgs
          userArg
        ]
        ++ extra
      )
    );

  # What sops-nix made on this host, by name, to be ordered after: its
  # units (sops.useSystemdActivation) and its activation snippets.
  sopsUnits = map (u: "${u}.service") (
    lib.filter (u: config.systemd.services ? ${u}) [
      "sops-install-secrets-for-users"
      "sops-install-secrets"
    ]
  );
  sopsSnippets = lib.filter (n: config.system.activationScripts ? ${n}) [
    "generate-age-key"
    "setupSecretsForUsers"
    "setupSecrets"
  ];
  unitPath = lib.optional cfg.audit.enable pkgs.audit; # ausearch, for HC012
in
{
  options.services.keycycle = {
    enable = lib.mkEnableOption "keycycle host checks of the sops-nix keys and secrets";

    package = lib.mkOption {
      type = lib.types.package;
      default = pkgs.callPackage ./package.nix { };
      defaultText = lib.literalExpression "pkgs.callPackage ./package.nix { }";
      description = "The keycycle package.";
    };

    keyFile = lib.mkOption {
      type = lib.types.nullOr lib.types.path;
      default = if hasSops then sopsCfg.age.keyFile else null;
      defaultText = lib.literalExpression "config.sops.age.keyFile";
      description = "The age key file sops-nix decrypts with.";
    };

    sshKeyPaths = lib.mkOption {
      # sops-nix's own type: strings or paths.
      type = lib.types.listOf lib.types.path;
      default = if hasSops then sopsCfg.age.sshKeyPaths else [ ];
      defaultText = lib.literalExpression "config.sops.age.sshKeyPaths";
      description = "The SSH host keys sops-nix converts to age identities.";
    };

    enforce = {
      keyPermissions = lib.mkOption {
        type = lib.types.bool;
        default = true;
        description = ''
          Repair the modes and owners of the age key file and the SSH host
          keys (`keycycle host check --fix`) in activation, after sops-nix
          made its key and installed its secrets.
        '';
      };
      keyFormat = lib.mkOption {
        type = lib.types.bool;
        default = true;
        description = ''
          Make activation report failure when a key file has a line sops
          cannot read, or another check fails.
        '';
      };
    };

    verify.enable = lib.mkOption {
      type = lib.types.bool;
      default = true;
      description = ''
        A oneshot keycycle-verify.service, after sops-nix, that checks every
        secret and template of sops-nix's own manifests
        (config.system.build.sops-nix-manifest, and sops-nix-users-manifest
        for neededForUsers secrets) is installed with its owner, group and
        mode, and fails visibly when one is not.
      '';
    };

    metrics.textfileDir = lib.mkOption {
      type = lib.types.nullOr lib.types.str;
      default = null;
      example = "/var/lib/prometheus-node-exporter-text-files";
      description = ''
        node_exporter's textfile collector folder; the checks write
        keycycle-verify.prom and keycycle-rotation.prom there.
      '';
    };

    rotationCheck = {
      enable = lib.mkOption {
        type = lib.types.bool;
        default = true;
        description = "Run the check daily and warn about a key older than maxKeyAge.";
      };
      maxKeyAge = lib.mkOption {
        type = lib.types.str;
        default = "90d";
        description = "Key file age past which the daily check warns: a number followed by h, d, w or y (90d, 12w, 1y), as keycycle.yaml's max_age.";
      };
      onCalendar = lib.mkOption {
        type = lib.types.str;
        default = "daily";
        description = "When the rotation check runs (systemd OnCalendar).";
      };
    };

    userKey = lib.mkOption {
      type = lib.types.nullOr lib.types.str;
      default = null;
      example = "rain";
      description = ''
        The user whose age key this host's secrets file keeps under keys/age
        (`keycycle host add --user-key USER`): installs it as that user's
        ~/.config/sops/age/keys.txt (0400), which is where `keycycle rotate`
        of a user key expects it and verifies the new key.
      '';
    };

    audit.enable = lib.mkOption {
      type = lib.types.bool;
      default = false;
      description = ''
        Linux audit rules (key "keycycle") that record every read of the
        age key file, the SSH host keys and /run/secrets.d; `keycycle host
        check` summarises them from ausearch.
      '';
    };
  };

  config = lib.mkIf cfg.enable (
    lib.mkMerge (
      [
        {
          assertions = [
            {
              assertion = hasSops;
              message = ''
                services.keycycle needs sops-nix: add sops-nix.nixosModules.sops to
                your modules (https://github.com/Mic92/sops-nix), or disable keycycle.
              '';
            }
            {
              assertion = !hasSops || build ? sops-nix-manifest;
              message = ''
                services.keycycle needs a sops-nix that exposes its manifest
                (config.system.build.sops-nix-manifest): update sops-nix.
              '';
            }
            {
              assertion = !hasSops || keyFile != null || sshKeyPaths != [ ];
              message = ''
                services.keycycle: neither sops.age.keyFile nor sops.age.sshKeyPaths
                is set, so sops-nix has no age key to decrypt with; set one of them
                (or services.keycycle.keyFile / sshKeyPaths).
              '';
            }
          ];
          environment.systemPackages = [ cfg.package ];
        }

        (lib.mkIf (cfg.metrics.textfileDir != null) {
          systemd.tmpfiles.rules = [ "d ${cfg.metrics.textfileDir} 0755 root root -" ];
        })
      ]
      ++ lib.optionals hasSops [
        (lib.mkIf (cfg.enforce.keyPermissions || cfg.enforce.keyFormat) {
          system.activationScripts.keycycle-enforce = {
            # After sops-nix made the key (generateKey) and installed the
            # secrets, whichever of them this host has.
            deps = sopsSnippets;
            text = ''
              if ! ${exe} host check --only HC001,HC002,HC003,HC004,HC005 ${keyArgs} ${lib.optionalString cfg.enforce.keyPermissions "--fix"}; then
                echo "keycycle: the host check failed; run 'keycycle host check' for details" >&2
                ${lib.optionalString cfg.enforce.keyFormat "false"}
              fi
            '';
          };
        })

        (lib.mkIf cfg.verify.enable {
          systemd.services.keycycle-verify = {
            description = "keycycle: verify the secrets sops-nix installed";
            documentation = [ "https://github.com/keycycle/keycycle/blob/main/docs/host.md" ];
            wantedBy = [ "multi-user.target" ];
            after = sopsUnits;
            wants = sopsUnits;
            restartTriggers = manifests;
            path = unitPath;
            serviceConfig = {
              Type = "oneshot";
              RemainAfterExit = true;
              ExecStart = checkCommand (metricsArgs "verify");
            };
          };
        })

        (lib.mkIf cfg.rotationCheck.enable {
          systemd.services.keycycle-rotation-check = {
            description = "keycycle: daily host check and key age";
            after = sopsUnits;
            path = unitPath;
            serviceConfig = {
              Type = "oneshot";
              ExecStart = checkCommand (
                [ "--max-key-age ${lib.escapeShellArg cfg.rotationCheck.maxKeyAge}" ] ++ metricsArgs "rotation"
              );
            };
          };
          systemd.timers.keycycle-rotation-check = {
            wantedBy = [ "timers.target" ];
            timerConfig = {
              OnCalendar = cfg.rotationCheck.onCalendar;
              Persistent = true;
              RandomizedDelaySec = "1h";
            };
          };
        })

        (lib.mkIf (cfg.userKey != null) {
          sops.secrets."keys/age" = {
            owner = cfg.userKey;
            mode = "0400";
            path = "${config.users.users.${cfg.userKey}.home}/.config/sops/age/keys.txt";
          };
        })

        (lib.mkIf cfg.audit.enable {
          security.auditd.enable = true;
          security.audit.enable = true;
          security.audit.rules =
            map (p: "-w ${p} -p r -k keycycle") (lib.optional (keyFile != null) keyFile ++ sshKeyPaths)
            ++ [ "-w /run/secrets.d -p r -k keycycle" ]
            ++ lib.optional forUsers "-w /run/secrets-for-users.d -p r -k keycycle";
        })
      ]
    )
  );
}
