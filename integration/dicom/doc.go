// Package dicom writes realistic, deterministic DICOM Part-10 files for the
// tests and benchmarks that run Orthanc on sealfs: CT Image Storage
// instances in explicit VR little endian, single- or multi-frame, with a
// known marker string in the patient's name, in a private text tag and in
// the pixel bytes, so that a scan of a store can prove no plaintext leaked.
//
// It writes only; it parses nothing.
package dicom
