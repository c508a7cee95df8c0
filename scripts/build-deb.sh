#!/usr/bin/env bash
# Builds the sealfs .deb with nfpm: scripts/build-deb.sh [OUTDIR]  (make deb)
#
# Writes OUTDIR/sealfs_DEBVERSION_amd64.deb (OUTDIR defaults to dist/) and
# prints its path on the last line. The binary's version is
# `git describe --tags --always --dirty`; the package's is the same made
# a valid Debian version (a leading v dropped; without a tag, 0~git<hash>).
#
# Environment:
#   NFPM              the nfpm binary (default: nfpm on PATH, else the one
#                     scripts/tools/nfpm.sh built into the tools cache)
#   VERSION           override the version baked into the binary
#   SEALFS_TOOLS_DIR  the tools cache (default ~/.cache/sealfs-tools)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/usr/local/go/bin:${PATH}"

# shellcheck source=tools/nfpm.sh
source scripts/tools/nfpm.sh
TOOLS_DIR="${SEALFS_TOOLS_DIR:-${HOME:-/root}/.cache/sealfs-tools}"
if [[ -z "${NFPM:-}" ]]; then
	NFPM="$(command -v nfpm || echo "${TOOLS_DIR}/nfpm-${NFPM_VERSION}/nfpm")"
fi
[[ -x "$NFPM" ]] || {
	echo "build-deb.sh: nfpm not found; run scripts/test.sh (as root) to build it, or: GOBIN=${TOOLS_DIR}/nfpm-${NFPM_VERSION} go install github.com/goreleaser/nfpm/v2/cmd/nfpm@${NFPM_VERSION}" >&2
	exit 1
}

OUTDIR="${1:-dist}"
VERSION="${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}"
DEB_VERSION="${VERSION#v}"
if [[ ! "$DEB_VERSION" =~ ^[0-9]+\. ]]; then
	DEB_VERSION="0~git${DEB_VERSION}"
fi
DEB_VERSION="${DEB_VERSION//-/+}" # no Debian revision: "-" only separates one

STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
# The same build settings as the tests' binary (cgo, no -trimpath), so that
# it reuses the build cache: a static -trimpath build compiles every
# dependency again (minutes on CI's two cores). Hence Depends: libc6.
go build -ldflags "-s -w -X main.version=${VERSION}" -o "${STAGE}/sealfs" ./cmd/sealfs
"${STAGE}/sealfs" man --output "${STAGE}/sealfs.8"
gzip -9n "${STAGE}/sealfs.8"

mkdir -p "$OUTDIR"
deb="${OUTDIR}/sealfs_${DEB_VERSION}_amd64.deb"
# nfpm expands variables in some fields only: fill in ${STAGE} here.
sed "s|\${STAGE}|${STAGE}|g" packaging/deb/nfpm.yaml >"${STAGE}/nfpm.yaml"
DEB_VERSION="$DEB_VERSION" "$NFPM" package --config "${STAGE}/nfpm.yaml" --packager deb --target "$deb" >&2
echo "$deb"
