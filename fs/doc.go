// Package fs is sealfs's FUSE filesystem (go-fuse v2): it presents a
// remote.Store of envelope-encrypted objects as an ordinary directory tree.
//
// Each regular file is one object whose key is its path under the mount;
// directories are key prefixes, kept visible when empty by marker objects
// (on object stores written lazily, only for directories that stay empty:
// see DirMarkers).
// Writes are staged as ciphertext only: sequential writes are sealed as they
// arrive straight into the store's upload (the common case, Orthanc's), and
// random writes go to a sealed staging file that is re-sealed into a fresh
// object version on flush or fsync. close() and fsync() return only once the
// object is durable in the store, or return the error.
//
// open() verifies the object before answering: header, key slot and final
// chunk always, and every chunk for objects up to Options.VerifyOpenMax, so a
// tampered or swapped object fails at open with EIO rather than at read.
package fs
