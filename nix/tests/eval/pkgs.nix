# A small stand-in for nixpkgs' pkgs: just what nix/module.nix,
# nix/package.nix and sops-nix's module call. Nothing is built: a package
# is an attribute set that looks like a derivation (type, name, outPath),
# and a written file keeps its text so that the tests can read it.
{ lib }:
let
  # A store path named name whose hash depends on what (the text of a
  # file, or the name alone).
  storePath =
    what: name:
    let
      # Nix's base-32 alphabet has no e, o, u, t: hex without "e" fits.
      hash = builtins.replaceStrings [ "e" ] [ "z" ] (
        builtins.substring 0 32 (builtins.hashString "sha256" what)
      );
    in
    "/nix/store/${hash}-${name}";

  drv = name: extra: {
    type = "derivation";
    inherit name;
    outPath = storePath (extra.text or name) name;
    drvPath = storePath name "${name}.drv";
  }
  // extra;

  buildGoModule =
    args:
    drv "${args.pname}-${args.version}" {
      inherit (args) pname version;
      # The arguments, for the tests to read (vendorHash, ldflags).
      goModuleArgs = args;
      meta = args.meta or { };
    };

  self = {
    inherit lib;
    pkgs = self;
    system = "x86_64-linux";
    stdenv = {
      isLinux = true;
      isDarwin = false;
      hostPlatform.system = "x86_64-linux";
      buildPlatform.system = "x86_64-linux";
    };
    pkgsBuildHost = self;

    callPackage =
      fn: args:
      let
        f = if lib.isFunction fn then fn else import fn;
      in
      f (builtins.intersectAttrs (lib.functionArgs f) self // args);

    writeTextFile =
      {
        name,
        text,
        ...
      }:
      drv name { inherit text; };
    writeText = name: text: self.writeTextFile { inherit name text; };

    inherit buildGoModule;
    buildGo125Module = buildGoModule;
    buildGo126Module = buildGoModule;

    go = drv "go-1.26.0" { };
    age = drv "age-1.3.1" { };
    gnupg = drv "gnupg-2.4.8" { };
    audit = drv "audit-4.1.2" { };

    # flake.nix's checks: the test itself, for the node to be evaluated.
    testers.runNixOSTest = test: test;
  };
in
self
