package envelope

// Chunk sizes and the header size of format version 1.
const (
	// DefaultChunkSize is the plaintext chunk size used when WriterOptions.ChunkSize is 0.
	DefaultChunkSize = 64 << 10
	// MinChunkSize is the smallest plaintext chunk size (4 KiB).
	MinChunkSize = 4 << 10
	// MaxChunkSize is the largest plaintext chunk size (1 MiB).
	MaxChunkSize = 1 << 20
	// HeaderSize is the length in bytes of a version 1 header.
	HeaderSize = 160
)

// Header layout, version 1 (see docs/format.md). All integers big-endian.
const (
	magic          = "sealfs"
	formatVersion  = 1
	suiteAESGCM    = 1 // HKDF-SHA256 + AES-256-GCM wrap, AES-256-GCM chunks with 16-byte tags
	maxHeaderSize  = 4096
	minChunkLog    = 12
	maxChunkLog    = 20
	defaultLog     = 16
	keySize        = 32 // DEK, K_wrap, K_body
	saltSize       = 32
	checkValueSize = 16 // KCV and ICV
	tagSize        = 16
	nonceSize      = 12
	maxChunks      = 1 << 32

	offMagic      = 0
	offVersion    = 6
	offSuite      = 7
	offChunkLog   = 8
	offReserved   = 9
	offHeaderLen  = 10
	offBodySalt   = 12
	immutableSize = 44 // magic .. body salt: never changes for an object version

	offKEKID      = 44
	offWrapSalt   = 48
	offKCV        = 80
	offWrappedDEK = 96
	wrappedDEKLen = keySize + tagSize
	offICV        = 144

	// minObjectSize is a header plus the tag of one empty final chunk.
	minObjectSize = HeaderSize + tagSize
)

// Domain-separation labels for the two HKDF derivations.
const (
	wrapInfoLabel = "sealfs/v1/wrap"
	bodyInfoLabel = "sealfs/v1/body"
)
