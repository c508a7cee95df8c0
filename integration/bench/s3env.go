package main

import "strings"

// scrubbedPrefixes name the environment variables that no peer started by
// the S3 bench may see: rclone reads RCLONE_* as flags, and AWS_* (notably
// AWS_CA_BUNDLE, which breaks rclone against plain-HTTP MinIO, or
// AWS_ACCESS_KEY_ID) would override the credentials the bench configures.
var scrubbedPrefixes = []string{"RCLONE_", "AWS_"}

// scrubbed reports whether the variable called name must not reach a peer.
func scrubbed(name string) bool {
	for _, prefix := range scrubbedPrefixes {
		if strings.HasPrefix(name, prefix) {
			return true
		}
	}
	return false
}

// scrubbedEnv returns environ ("NAME=value" entries) without the scrubbed
// variables.
func scrubbedEnv(environ []string) []string {
	var kept []string
	for _, entry := range environ {
		name, _, _ := strings.Cut(entry, "=")
		if !scrubbed(name) {
			kept = append(kept, entry)
		}
	}
	return kept
}

// withoutScrubbed returns the command line that runs command with args under
// env(1), unsetting every scrubbed variable of environ. env execs the
// command, so the process id (and with it the daemon's peak RSS and its
// signals) stays the command's own.
func withoutScrubbed(environ []string, command string, args ...string) (string, []string) {
	var line []string
	for _, entry := range environ {
		name, _, _ := strings.Cut(entry, "=")
		if scrubbed(name) {
			line = append(line, "-u", name)
		}
	}
	line = append(line, "--", command)
	return "env", append(line, args...)
}
