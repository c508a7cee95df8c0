# shellcheck shell=bash
# Azurite, the Azure Blob Storage emulator the tests of remote/azure run
# against. Sourced by scripts/test.sh, which provides tool_dir, MISSING
# and BUILT_TOOLS.

AZURITE_VERSION="3.37.0"
BUILT_TOOLS+=(azurite)

# tool_azurite installs azurite@AZURITE_VERSION with npm into the tools
# cache unless it is there, and exports SEALFS_AZURITE, the path of its
# azurite-blob executable. The install goes to a temporary directory
# renamed into place, so an interrupted one is never taken for cached.
tool_azurite() {
	local dir bin
	dir="$(tool_dir azurite "$AZURITE_VERSION")"
	bin="${dir}/node_modules/.bin/azurite-blob"
	if [[ -x "$bin" ]]; then
		echo "cached: ${bin}"
	elif ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
		MISSING+=("azurite: needs node (20 or later) and npm to install azurite@${AZURITE_VERSION}")
		return 0
	else
		echo "installing azurite@${AZURITE_VERSION} into ${dir}"
		rm -rf "${dir}.partial"
		mkdir -p "${dir}.partial"
		npm install --prefix "${dir}.partial" --no-audit --no-fund --loglevel=error "azurite@${AZURITE_VERSION}"
		rm -rf "$dir"
		mv "${dir}.partial" "$dir"
	fi
	export SEALFS_AZURITE="$bin"
}
