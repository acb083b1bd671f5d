# The few NixOS options that nix/module.nix and sops-nix's module touch,
# declared with the types NixOS gives them (nixos/modules/misc/assertions.nix,
# system/activation/activation-script.nix, system/boot/systemd.nix and
# systemd-unit-options.nix, config/users-groups.nix, security/audit.nix,
# services/networking/ssh/sshd.nix), so that the modules are evaluated by
# nixpkgs' real lib.evalModules without the rest of NixOS. Not a copy of
# NixOS: only the options' names, types and defaults.
{ lib, ... }:
let
  inherit (lib) mkOption types;

  # systemd-unit-options.nix: unitOption merges lists by concatenation,
  # other values must agree.
  unitOption = lib.mkOptionType {
    name = "systemd option";
    merge =
      loc: defs:
      let
        defs' = lib.filterOverrides defs;
      in
      if lib.any (def: lib.isList def.value) defs' then
        lib.concatMap (def: lib.toList def.value) defs'
      else
        lib.mergeEqualOption loc defs';
  };
  unitNames = mkOption {
    type = types.listOf types.str;
    default = [ ];
  };

  service = types.submodule {
    options = {
      enable = mkOption {
        type = types.bool;
        default = true;
      };
      description = mkOption {
        type = types.singleLineStr;
        default = "";
      };
      documentation = mkOption {
        type = types.listOf types.str;
        default = [ ];
      };
      wantedBy = unitNames;
      requiredBy = unitNames;
      upheldBy = unitNames;
      before = unitNames;
      after = unitNames;
      wants = unitNames;
      requires = unitNames;
      path = mkOption {
        type = types.listOf (
          types.oneOf [
            types.package
            types.str
          ]
        );
        default = [ ];
      };
      environment = mkOption {
        type = types.attrsOf (
          types.nullOr (
            types.oneOf [
              types.str
              types.path
              types.package
            ]
          )
        );
        default = { };
      };
      serviceConfig = mkOption {
        type = types.attrsOf unitOption;
        default = { };
      };
      unitConfig = mkOption {
        type = types.attrsOf unitOption;
        default = { };
      };
      restartTriggers = mkOption {
        type = types.listOf types.unspecified;
        default = [ ];
      };
      reloadTriggers = mkOption {
        type = types.listOf types.unspecified;
        default = [ ];
      };
      script = mkOption {
        type = types.lines;
        default = "";
      };
    };
  };

  timer = types.submodule {
    options = {
      wantedBy = unitNames;
      timerConfig = mkOption {
        type = types.attrsOf unitOption;
        default = { };
      };
    };
  };

  # activation-script.nix: a snippet is text, or text with the names of
  # the snippets it runs after.
  activationScript = types.either types.str (
    types.submodule {
      options = {
        deps = mkOption {
          type = types.listOf types.str;
          default = [ ];
        };
        text = mkOption { type = types.lines; };
        supportsDryActivation = mkOption {
          type = types.bool;
          default = false;
        };
      };
    }
  );

  user = types.submodule (
    { name, config, ... }:
    {
      options = {
        name = mkOption {
          type = types.passwdEntry types.str;
          default = name;
        };
        isNormalUser = mkOption {
          type = types.bool;
          default = false;
        };
        isSystemUser = mkOption {
          type = types.bool;
          default = false;
        };
        uid = mkOption {
          type = types.nullOr types.int;
          default = null;
        };
        group = mkOption {
          type = types.str;
          default = "";
        };
        home = mkOption {
          type = types.passwdEntry types.path;
          default = "/var/empty";
        };
        hashedPasswordFile = mkOption {
          type = types.nullOr types.str;
          default = null;
        };
      };
      config = lib.mkIf config.isNormalUser {
        group = lib.mkDefault "users";
        home = lib.mkDefault "/home/${config.name}";
      };
    }
  );
in
{
  options = {
    assertions = mkOption {
      type = types.listOf types.unspecified;
      default = [ ];
    };
    warnings = mkOption {
      type = types.listOf types.str;
      default = [ ];
    };

    environment.systemPackages = mkOption {
      type = types.listOf types.package;
      default = [ ];
    };

    system.activationScripts = mkOption {
      type = types.attrsOf activationScript;
      default = { };
    };
    system.dryActivationScript = mkOption {
      type = types.str;
      default = "";
    };
    system.build = mkOption {
      type = types.submoduleWith {
        modules = [ { freeformType = types.lazyAttrsOf (types.uniq types.unspecified); } ];
      };
      default = { };
    };

    systemd.services = mkOption {
      type = types.attrsOf service;
      default = { };
    };
    systemd.timers = mkOption {
      type = types.attrsOf timer;
      default = { };
    };
    systemd.tmpfiles.rules = mkOption {
      type = types.listOf types.str;
      default = [ ];
    };
    systemd.sysusers.enable = mkOption {
      type = types.bool;
      default = false;
    };
    services.userborn.enable = mkOption {
      type = types.bool;
      default = false;
    };

    services.openssh.enable = mkOption {
      type = types.bool;
      default = false;
    };
    services.openssh.hostKeys = mkOption {
      type = types.listOf types.attrs;
      default = [
        {
          type = "rsa";
          bits = 4096;
          path = "/etc/ssh/ssh_host_rsa_key";
        }
        {
          type = "ed25519";
          path = "/etc/ssh/ssh_host_ed25519_key";
        }
      ];
    };

    security.audit.enable = mkOption {
      type = types.enum [
        false
        true
        "lock"
      ];
      default = false;
    };
    security.audit.rules = mkOption {
      type = types.listOf types.str;
      default = [ ];
    };
    security.auditd.enable = mkOption {
      type = types.bool;
      default = false;
    };

    users.mutableUsers = mkOption {
      type = types.bool;
      default = true;
    };
    users.users = mkOption {
      type = types.attrsOf user;
      default = { };
    };
    users.groups = mkOption {
      type = types.attrsOf (
        types.submodule (
          { name, ... }:
          {
            options.name = mkOption {
              type = types.str;
              default = name;
            };
            options.gid = mkOption {
              type = types.nullOr types.int;
              default = null;
            };
          }
        )
      );
      default = { };
    };
  };

  # What NixOS always defines that the modules name: root, and the
  # activation snippets sops-nix orders itself after.
  config = {
    users.users.root = {
      uid = 0;
      group = "root";
      home = "/root";
    };
    users.groups.root.gid = 0;
    users.groups.users.gid = 100;
    system.activationScripts = {
      specialfs = "# mounts /run, /proc";
      users = {
        deps = [ ];
        text = "# creates users";
      };
      groups = {
        deps = [ "users" ];
        text = "# creates groups";
      };
    };
  };
}
