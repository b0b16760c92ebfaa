#!/usr/bin/env bash
# Installs crabox $VERSION into $DEST: the release archive for this runner, checked against the
# release's SHA256SUMS and its SLSA provenance (gh attestation verify against the Sigstore bundle
# the release workflow signed), else `cargo install --locked`; `source` builds the checked-out
# crabox repository (crabox's own workflows). Writes the `path` and `source`
# step outputs and puts crabox on PATH.
set -euo pipefail
bin="$DEST/bin/crabox"
source="cache"
if [ "$VERSION" = "source" ]; then
  # Built from the checked-out crabox repository (its own workflows).
  cargo install --locked --quiet --root "$DEST" --path "$GITHUB_WORKSPACE/crates/crabox"
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
    echo "::warning title=crabox setup::no verified release archive for $RUNNER_OS_NAME/$RUNNER_ARCH_NAME; building with cargo install --locked"
    cargo install --locked --root "$DEST" --version "$VERSION" crabox
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
