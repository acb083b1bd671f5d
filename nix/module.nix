# NixOS module for keycycle: checks the keys and secrets sops-nix uses, on
# every activation and every day, and feeds node_exporter.
#
#   imports = [ sops-nix.nixosModules.sops keycycle.nixosModules.default ];
#   services.keycycle.enable = true;
#
# Every default comes from sops-nix's own options (sops.age.keyFile,
# sops.age.sshKeyPaths, sops.secrets), so that one line is enough.
{
  config,
  lib,
  pkgs,
  options,
  ...
}:
let
  cfg = config.services.keycycle;
  hasSops = options ? sops && options.sops ? secrets;
  sopsCfg = config.sops;
  exe = "${cfg.package}/bin/keycycle";

  # The secrets sops-nix installs under /run/secrets, in the shape of its
  # manifest (secrets neededForUsers live in /run/secrets-for-users).
  regularSecrets = lib.filterAttrs (_: s: !(s.neededForUsers or false)) sopsCfg.secrets;
  expectFile = pkgs.writeText "keycycle-expect.json" (
    builtins.toJSON {
      secrets = lib.mapAttrsToList (_: s: {
        inherit (s) name key path mode owner group;
        uid = s.uid or 0;
        gid = s.gid or 0;
        format = s.format or "yaml";
        sopsFile = toString s.sopsFile;
      }) regularSecrets;
      symlinkPath = "/run/secrets";
      secretsMountPoint = "/run/secrets.d";
    }
  );

  keyArgs = lib.concatStringsSep " " (
    lib.optional (cfg.keyFile != null) "--key-file ${lib.escapeShellArg cfg.keyFile}"
    ++ map (p: "--ssh-key ${lib.escapeShellArg p}") cfg.sshKeyPaths
  );
  metricsArg =
    name:
    lib.optionalString (
      cfg.metrics.textfileDir != null
    ) "--metrics ${lib.escapeShellArg "${cfg.metrics.textfileDir}/keycycle-${name}.prom"}";
  useSystemd = hasSops && (sopsCfg.useSystemdActivation or false);
  sopsUnit = lib.optional useSystemd "sops-install-secrets.service";
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
      type = lib.types.nullOr lib.types.str;
      default = if hasSops then sopsCfg.age.keyFile else null;
      defaultText = lib.literalExpression "config.sops.age.keyFile";
      description = "The age key file sops-nix decrypts with.";
    };

    sshKeyPaths = lib.mkOption {
      type = lib.types.listOf lib.types.str;
      default = if hasSops then sopsCfg.age.sshKeyPaths else [ ];
      defaultText = lib.literalExpression "config.sops.age.sshKeyPaths";
      description = "The SSH host keys sops-nix converts to age identities.";
    };

    enforce = {
      keyPermissions = lib.mkOption {
        type = lib.types.bool;
        default = true;
        description = ''
          Repair the modes and owners of the key files and installed secrets
          (`keycycle host check --fix`) in activation, after sops-nix.
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
        secret of config.sops.secrets is installed with its owner, group
        and mode, and fails visibly when one is not.
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
        description = "Key file age past which the daily check warns (days with d, or a Go duration).";
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
    lib.mkMerge [
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
            assertion = cfg.keyFile != null || cfg.sshKeyPaths != [ ];
            message = ''
              services.keycycle: neither sops.age.keyFile nor sops.age.sshKeyPaths
              is set, so sops-nix has no age key to decrypt with; set one of them
              (or services.keycycle.keyFile / sshKeyPaths).
            '';
          }
        ];
        environment.systemPackages = [ cfg.package ];
      }

      (lib.mkIf (hasSops && (cfg.enforce.keyPermissions || cfg.enforce.keyFormat)) {
        system.activationScripts.keycycle-enforce = {
          deps = lib.optional (!useSystemd && regularSecrets != { }) "setupSecrets";
          text = ''
            if ! ${exe} host check --only HC001,HC002,HC003,HC004,HC005 ${keyArgs} ${lib.optionalString cfg.enforce.keyPermissions "--fix"}; then
              echo "keycycle: the host check failed; run 'keycycle host check' for details" >&2
              ${lib.optionalString cfg.enforce.keyFormat "false"}
            fi
          '';
        };
      })

      (lib.mkIf (hasSops && cfg.verify.enable) {
        systemd.services.keycycle-verify = {
          description = "keycycle: verify the secrets sops-nix installed";
          documentation = [ "https://github.com/keycycle/keycycle/blob/main/docs/host.md" ];
          wantedBy = [ "multi-user.target" ];
          after = sopsUnit;
          wants = sopsUnit;
          restartTriggers = [ expectFile ];
          serviceConfig = {
            Type = "oneshot";
            RemainAfterExit = true;
            ExecStart = "${exe} host check ${keyArgs} --expect ${expectFile} ${metricsArg "verify"}";
          };
        };
      })

      (lib.mkIf (hasSops && cfg.rotationCheck.enable) {
        systemd.services.keycycle-rotation-check = {
          description = "keycycle: daily host check and key age";
          after = sopsUnit;
          serviceConfig = {
            Type = "oneshot";
            ExecStart = "${exe} host check ${keyArgs} --expect ${expectFile} --max-key-age ${lib.escapeShellArg cfg.rotationCheck.maxKeyAge} ${metricsArg "rotation"}";
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

      (lib.mkIf (hasSops && cfg.userKey != null) {
        sops.secrets."keys/age" = {
          owner = cfg.userKey;
          mode = "0400";
          path = "${config.users.users.${cfg.userKey}.home}/.config/sops/age/keys.txt";
        };
      })

      (lib.mkIf (cfg.metrics.textfileDir != null) {
        systemd.tmpfiles.rules = [ "d ${cfg.metrics.textfileDir} 0755 root root -" ];
      })

      (lib.mkIf cfg.audit.enable {
        security.auditd.enable = true;
        security.audit.enable = true;
        security.audit.rules =
          map (p: "-w ${p} -p r -k keycycle") (
            lib.optional (cfg.keyFile != null) cfg.keyFile ++ cfg.sshKeyPaths
          )
          ++ [ "-w /run/secrets.d -p r -k keycycle" ];
      })
    ]
  );
}
