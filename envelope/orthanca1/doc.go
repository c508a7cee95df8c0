// Package orthanca1 reads the "A1" encrypted objects written by the Orthanc
// object-storage plugins (S3, GCS, Azure) with StorageEncryption enabled, so
// that sealfs can serve an existing Orthanc bucket and migrate it. sealfs
// never writes this format; the package's tests hold a writer (Encrypt, in a
// _test.go file) that reproduces the plugin's objects byte for byte.
//
// Layout (sizes in bytes):
//
//	offset  size  field
//	0       2     version, ASCII "A1"
//	2       4     master key id, uint32 little-endian
//	6       32    EIV  = IV  XOR KS
//	38      32    EDEK = DEK XOR KS
//	70      n     AES-256-GCM ciphertext under DEK with the 32-byte IV
//	70+n    16    GCM tag
//
// KS is the first 32 bytes of the AES-256-CTR keystream of the master key
// (KEK) with an all-zero IV. The GCM additional data is the 70-byte prefix.
//
// The format has no key check value: a wrong KEK and a tampered object both
// fail GCM authentication and are reported as one error, ErrAuthentication.
// Its other weaknesses (one keystream masks every IV and DEK under a KEK; no
// object identity is authenticated; no range reads) are why sealfs only
// reads it.
package orthanca1
