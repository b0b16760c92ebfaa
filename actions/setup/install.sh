#!/usr/bin/env bash
# Installs crabox $VERSION into $DEST: the release archive for this runner, checked against the
# release's SHA256SUMS and its SLSA provenance (gh attestation verify against the Sigstore bundle
# the release workflow signed); failing that, and for `version: source`, it builds the crabox of
# the action's own checkout (this script's repository, at the ref the workflow pinned) with
# `cargo install --locked --path`. Writes the `path` and `source` step outputs and puts crabox
# on PATH. CRABOX_CARGO_PROFILE picks the cargo profile of a build (default `release`).
set -euo pipefail
# The repository this action comes from: actions/setup/ is two levels below its root.
action_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build() {
  cargo install --locked --quiet --root "$DEST" --profile "${CRABOX_CARGO_PROFILE:-release}" \
    --path "$action_root/crates/crabox"
}
bin="$DEST/bin/crabox"
source="cache"
if [ "$VERSION" = "source" ]; then
  # Built from the action's own checkout, whichever repository the workflow runs in.
  build
  source="source"
elif [ "${CACHE_HIT:-}" != "true" ] || [ ! -x "$bin" ]; then
  case "$RUNNER_OS_NAME-$RUNNER_ARCH_NAME" in
    Linux-X64) target=x86_64-unknown-linux-gnu ;;
    Linux-ARM64) target=aarch64-unknown-linux-gnu ;;
    macOS-ARM64) target=aarch64-apple-darwin ;;
    macOS-X64) target=x86_64-apple-darwin ;;
    Windows-X64) target=x86_64-pc-windows-msvc ;;
    *) target="" ;;
  esac
  work=$(mktemp -d)
  archive="crabox-$VERSION-$target.tar.gz"
  mkdir -p "$DEST/bin"
  if [ -n "$target" ] && gh release download "v$VERSION" --repo "$REPOSITORY" --dir "$work" \
      --pattern "$archive" --pattern "$archive.slsa-provenance.sigstore.json" --pattern SHA256SUMS; then
    (cd "$work" && grep " $archive\$" SHA256SUMS | sha256sum --check --strict)
    gh attestation verify "$work/$archive" --repo "$REPOSITORY" \
      --bundle "$work/$archive.slsa-provenance.sigstore.json" \
      --signer-workflow "$REPOSITORY/.github/workflows/release.yml"
    tar -xzf "$work/$archive" -C "$DEST/bin"
    source="release"
  else
    # crabox is not on crates.io: the fallback builds the action's own checkout.
    echo "::warning title=crabox setup::no verified release archive v$VERSION for $RUNNER_OS_NAME/$RUNNER_ARCH_NAME; building the action's own checkout with cargo install --locked"
    build
    source="cargo"
  fi
  rm -rf "$work"
fi
echo "$DEST/bin" >>"$GITHUB_PATH"
{
  echo "path=$bin"
  echo "source=$source"
} >>"$GITHUB_OUTPUT"
"$bin" --version
