{
  description = "keycycle: the key lifecycle for SOPS/age secrets and sops-nix hosts";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
    sops-nix = {
      url = "github:Mic92/sops-nix";
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };

  outputs =
    {
      self,
      nixpkgs,
      sops-nix,
    }:
    let
      systems = [
        "x86_64-linux"
        "aarch64-linux"
        "aarch64-darwin"
      ];
      forAll = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
      # 0.1.0-dev+<commit> (+dirty for a tree with changes), shown by
      # `keycycle --version`.
      version = "0.1.0-dev+${self.shortRev or self.dirtyShortRev or "dirty"}";
    in
    {
      packages = forAll (pkgs: rec {
        keycycle = pkgs.callPackage ./nix/package.nix { inherit version; };
        default = keycycle;
      });

      # services.keycycle, with this flake's package as the default.
      nixosModules.default =
        { pkgs, lib, ... }:
        {
          imports = [ ./nix/module.nix ];
          services.keycycle.package = lib.mkDefault self.packages.${pkgs.stdenv.hostPlatform.system}.default;
        };

      # A NixOS VM test (nix/tests/host-check.nix): `nix flake check` on a
      # machine with KVM. keycycle's CI evaluates its node instead.
      checks.x86_64-linux.host-check = nixpkgs.legacyPackages.x86_64-linux.testers.runNixOSTest (
        import ./nix/tests/host-check.nix { inherit self sops-nix; }
      );
    };
}
