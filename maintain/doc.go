// Package maintain walks every object of a sealfs store to verify it
// (Verify) or to rewrap its data key under the keyring's current KEK
// (Rotate), or every file of a plain directory to import it into the
// store (Migrate, which commits only where the key is absent). Both are parallel, bounded in memory, report progress, and keep
// a checkpoint (the last key done, in List order) so that an interrupted
// run resumes where it stopped. They work on a store a mount is serving:
// Verify only reads, and Rotate replaces each object with a conditional
// write, so an object a mount rewrites meanwhile is re-read and retried,
// never clobbered.
//
// maintain depends on remote, envelope and keyring only; the command line
// (cmd/sealfs) resolves the store, the keys and the volume.
package maintain
