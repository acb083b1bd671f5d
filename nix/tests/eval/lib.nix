# The evaluation harness: nixpkgs' real lib.evalModules over
# nixos-options.nix (the NixOS options the modules touch), sops-nix's real
# module and keycycle's, with the stand-in pkgs of pkgs.nix. Nothing is
# fetched or built. `vendor` is ../shared/vendor (its README).
{ vendor }:
let
  lib = import (vendor + "/nixpkgs-lib/lib");
  pkgs = import ./pkgs.nix { inherit lib; };
  sopsNix = vendor + "/sops-nix/modules/sops";
  keycycleModule = ../../module.nix;

  # nixpkgs.lib.nixosSystem, as far as these modules need it.
  nixosSystem =
    {
      modules,
      specialArgs ? { },
      ...
    }:
    lib.evalModules {
      inherit specialArgs;
      modules = [
        ./nixos-options.nix
        { _module.args.pkgs = pkgs; }
      ]
      ++ modules;
    };

  # A host: sops-nix (unless sops = false), keycycle's module, and the
  # case's own modules.
  host =
    {
      sops ? true,
      modules,
    }:
    nixosSystem {
      modules = lib.optional sops sopsNix ++ [ keycycleModule ] ++ modules;
    };

  # The activation snippets in the order NixOS runs them
  # (activation-script.nix: textClosureMap over every snippet by name).
  activationOrder =
    scripts:
    let
      entries = lib.mapAttrs (
        name: v: if lib.isString v then lib.noDepEntry name else v // { text = name; }
      ) scripts;
    in
    lib.textClosureList entries (lib.attrNames entries);

  pick = names: set: lib.filterAttrs (n: _: lib.elem n names) set;
  unitFacts =
    u:
    {
      inherit (u)
        description
        after
        wants
        wantedBy
        before
        requiredBy
        ;
      path = map toString u.path;
      serviceConfig = u.serviceConfig;
      restartTriggers = map toString u.restartTriggers;
    };

  # What the tests assert on, as plain JSON.
  facts =
    system:
    let
      c = system.config;
      scripts = c.system.activationScripts;
      build = c.system.build;
      text = name: if build ? ${name} then build.${name}.text else null;
      path = name: if build ? ${name} then toString build.${name} else null;
    in
    {
      failedAssertions = map (a: a.message) (lib.filter (a: !a.assertion) c.assertions);
      warnings = c.warnings;
      activationOrder = activationOrder scripts;
      activationDeps = lib.mapAttrs (_: v: if lib.isString v then [ ] else v.deps) scripts;
      enforceScript = if scripts ? keycycle-enforce then scripts.keycycle-enforce.text else null;
      services = lib.mapAttrs (_: unitFacts) (
        lib.filterAttrs (
          n: _: lib.hasPrefix "keycycle" n || lib.hasPrefix "sops" n
        ) c.systemd.services
      );
      timers = lib.mapAttrs (_: t: { inherit (t) wantedBy timerConfig; }) c.systemd.timers;
      tmpfiles = c.systemd.tmpfiles.rules;
      audit = {
        inherit (c.security.audit) enable rules;
        auditd = c.security.auditd.enable;
      };
      systemPackages = map toString c.environment.systemPackages;
      keycycle = {
        keyFile = if c.services.keycycle.keyFile == null then null else toString c.services.keycycle.keyFile;
        sshKeyPaths = map toString c.services.keycycle.sshKeyPaths;
      };
      sops =
        if c ? sops then
          {
            secrets = lib.mapAttrs (_: s: { inherit (s) path owner group mode neededForUsers; }) c.sops.secrets;
            manifest = text "sops-nix-manifest";
            manifestPath = path "sops-nix-manifest";
            usersManifest = text "sops-nix-users-manifest";
            usersManifestPath = path "sops-nix-users-manifest";
          }
        else
          null;
    };
in
{
  inherit
    lib
    pkgs
    sopsNix
    keycycleModule
    nixosSystem
    host
    facts
    ;
}
