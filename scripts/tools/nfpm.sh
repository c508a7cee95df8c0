# shellcheck shell=bash
# nfpm, which builds the .deb (scripts/build-deb.sh, make deb, and the
# package test in integration/). Sourced by scripts/test.sh, which provides
# tool_dir and go_install_tool, and by scripts/build-deb.sh for the version.
# A CLI in the tools cache rather than a library in go.mod: its dependency
# tree (git, PGP, rpm, msix) stays out of the sealfs module.
NFPM_VERSION="v2.48.0"

tool_nfpm() {
	local dir
	dir="$(tool_dir nfpm "$NFPM_VERSION")"
	go_install_tool "$dir" "github.com/goreleaser/nfpm/v2/cmd/nfpm@${NFPM_VERSION}"
	export SEALFS_NFPM="${dir}/nfpm"
}

if declare -p BUILT_TOOLS >/dev/null 2>&1; then
	BUILT_TOOLS+=(nfpm)
fi

# tool_debtools: dpkg-deb inspects the built .deb and man renders its man
# page in the package test.
tool_debtools() {
	need_apt dpkg-deb dpkg
	need_apt man man-db
	need_apt groff groff-base
}
if declare -p SYSTEM_TOOLS >/dev/null 2>&1; then
	SYSTEM_TOOLS+=(debtools)
fi
