# The keycycle binary, built from this repository with buildGoModule.
{
  lib,
  buildGoModule,
  # flake.nix passes the commit: 0.1.0-dev+<rev>.
  version ? "0.1.0-dev",
}:
buildGoModule {
  pname = "keycycle";
  inherit version;
  src = lib.cleanSource ../.;
  # The NAR hash of `go mod vendor`'s output (sops, a tool dependency of
  # go.mod, included). nix/vendorhash_test.go recomputes it from go.mod,
  # go.sum and the imports, and fails with the new value when they change.
  vendorHash = "sha256-zdWkENHMYtS8HzpLAwwJlL+XAA3T+pB2Ih/ogMqxGls=";
  subPackages = [ "cmd/keycycle" ];
  env.CGO_ENABLED = 0;
  # `keycycle --version` prints it.
  ldflags = [
    "-s"
    "-w"
    "-X github.com/keycycle/keycycle/internal/cli.version=${version}"
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
