# fake-gcs-server, the Google Cloud Storage emulator the remote/gcs tests
# run against. Sourced by scripts/test.sh: builds it once into the tools
# cache and exports SEALFS_FAKEGCS, through which the tests find it.
# shellcheck shell=bash

FAKEGCS_VERSION="v1.56.1"

tool_fakegcs() {
	local dir
	dir="$(tool_dir fakegcs "$FAKEGCS_VERSION")"
	go_install_tool "$dir" "github.com/fsouza/fake-gcs-server@${FAKEGCS_VERSION}"
	if [[ -x "${dir}/fake-gcs-server" ]]; then
		export SEALFS_FAKEGCS="${dir}/fake-gcs-server"
	fi
}

BUILT_TOOLS+=(fakegcs)
