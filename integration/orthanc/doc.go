// Package orthanc runs a real Orthanc server for the tests and benchmarks
// of sealfs: it writes a configuration with free loopback ports and the
// storage cache off, starts Orthanc, waits until its REST API answers, and
// offers the few REST calls the tests need. The end-to-end tests of Orthanc
// on a sealfs mount live in this package's test files.
package orthanc
