# The keycycle binary, built from this repository with buildGoModule.
{ lib, buildGoModule }:
buildGoModule {
  pname = "keycycle";
  version = "0.1.0-dev";
  src = lib.cleanSource ../.;
  # Placeholder: the first `nix build` fails and prints the real hash to
  # put here (see docs/host.md). go.mod asks for Go 1.26: use a nixpkgs
  # whose buildGoModule has it.
  vendorHash = lib.fakeHash;
  subPackages = [ "cmd/keycycle" ];
  env.CGO_ENABLED = 0;
  ldflags = [
    "-s"
    "-w"
  ];
  # The tests need the shared corpus and the sops binary: CI runs them.
  doCheck = false;
  meta = {
    description = "Key lifecycle for SOPS/age secrets repositories and sops-nix hosts";
    license = lib.licenses.mit;
    mainProgram = "keycycle";
    platforms = lib.platforms.linux ++ lib.platforms.darwin;
  };
}
