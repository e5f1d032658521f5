#!/usr/bin/env bash
# Builds a service with its own `build` command (Jib, ko, buildpacks, Nix...) instead of a Dockerfile. The
# command is given IMAGE_OUTPUT, a path that does not exist yet, and writes there either an OCI image
# layout (a directory) or an image tarball (an OCI archive, or a `docker save` archive, converted with
# skopeo). Either way the result is an OCI image layout that is scanned, and then pushed by digest under
# the computed tags like any built image.
# In: BUILD_COMMAND, IMAGE_OUTPUT (absolute), SERVICE_PATH (the command runs there).
# Out: `oci-layout` (the layout directory) and `digest` (of the image manifest or index it holds).
set -euo pipefail
if [[ -e "$IMAGE_OUTPUT" ]]; then
  echo "::error title=Build command::$IMAGE_OUTPUT exists already"
  exit 1
fi
mkdir -p -- "$(dirname -- "$IMAGE_OUTPUT")"
(cd -- "$SERVICE_PATH" && IMAGE_OUTPUT="$IMAGE_OUTPUT" bash -c "$BUILD_COMMAND")
layout="$IMAGE_OUTPUT"
if [[ -f "$IMAGE_OUTPUT" ]]; then
  layout="$IMAGE_OUTPUT.layout"
  mkdir -- "$layout"
  # The listing is read whole: `grep -q` would stop early and tar's SIGPIPE fails the pipeline.
  members=$(tar -tf "$IMAGE_OUTPUT")
  if grep -qx -e 'oci-layout' -e './oci-layout' <<<"$members"; then
    tar -xf "$IMAGE_OUTPUT" -C "$layout" --no-same-owner --no-same-permissions
  elif command -v skopeo >/dev/null; then
    skopeo copy --quiet "docker-archive:$IMAGE_OUTPUT" "oci:$layout:latest"
  else
    echo "::error title=Build command::$IMAGE_OUTPUT is a docker archive and skopeo is not installed to convert it; write an OCI layout or OCI archive instead"
    exit 1
  fi
elif [[ ! -d "$IMAGE_OUTPUT" ]]; then
  echo "::error title=Build command::the build command wrote nothing at \$IMAGE_OUTPUT ($IMAGE_OUTPUT)"
  exit 1
fi
if [[ ! -f "$layout/oci-layout" || ! -f "$layout/index.json" ]]; then
  echo "::error title=Build command::$IMAGE_OUTPUT is not an OCI image layout (no oci-layout and index.json)"
  exit 1
fi
count=$(jq '.manifests | length' "$layout/index.json")
if [[ "$count" != 1 ]]; then
  echo "::error title=Build command::the layout holds $count images; a service's build writes one"
  exit 1
fi
digest=$(jq -r '.manifests[0].digest' "$layout/index.json")
if [[ ! "$digest" =~ ^sha256:[0-9a-f]{64}$ ]]; then
  echo "::error title=Build command::the layout's image digest is not a sha256 digest"
  exit 1
fi
{
  echo "oci-layout=$layout"
  echo "digest=$digest"
} >>"$GITHUB_OUTPUT"
echo "Built $digest into $layout"
