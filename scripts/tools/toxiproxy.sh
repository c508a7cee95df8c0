# shellcheck shell=bash
# Toxiproxy, the TCP proxy that the fault tests (integration/faults) put
# between sealfs and MinIO to inject latency, resets, stalls and outages.
# Sourced by scripts/test.sh, which provides tool_dir and go_install_tool.
# Pinned: @latest resolves to the old v2.5.0. go install names the binary
# after its package directory: "server".
TOXIPROXY_VERSION="v2.12.0"

tool_toxiproxy() {
	local dir
	dir="$(tool_dir toxiproxy "$TOXIPROXY_VERSION")"
	go_install_tool "$dir" "github.com/Shopify/toxiproxy/v2/cmd/server@${TOXIPROXY_VERSION}"
	export SEALFS_TOXIPROXY="${dir}/server"
}

BUILT_TOOLS+=(toxiproxy)
