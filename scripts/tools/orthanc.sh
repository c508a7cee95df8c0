# shellcheck shell=bash
# Orthanc and dcmtk (storescu, dcmdump) for integration/orthanc and
# integration/dicom. Sourced by scripts/test.sh.
tool_orthanc() {
	need_apt Orthanc orthanc
	need_apt storescu dcmtk
}
SYSTEM_TOOLS+=(orthanc)
