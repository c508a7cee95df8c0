# shellcheck shell=bash
# MinIO, the S3 server the tests of remote/s3 run against. Sourced by
# scripts/test.sh, which provides tool_dir and go_install_tool.
# The version is what `go list -m github.com/minio/minio@latest` resolved
# to (MinIO publishes no module tags); pinned so that the cache key holds.
MINIO_VERSION="v0.0.0-20260212201848-7aac2a2c5b7c"

tool_minio() {
	local dir
	dir="$(tool_dir minio "$MINIO_VERSION")"
	# MinIO's go.mod has replace directives: build it in module mode.
	GOFLAGS=-mod=mod go_install_tool "$dir" "github.com/minio/minio@${MINIO_VERSION}"
	export SEALFS_MINIO="${dir}/minio"
}

BUILT_TOOLS+=(minio)
