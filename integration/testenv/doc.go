// Package testenv holds the helpers that integration tests share: building
// the sealfs binary, skipping or failing when a tool is missing, waiting for a
// FUSE mount to appear, unmounting, and dropping the kernel's caches.
//
// When the environment variable CI is "true", a missing prerequisite fails
// the test instead of skipping it, so that CI never passes by running nothing.
package testenv
