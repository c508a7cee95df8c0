package main

import (
	"github.com/urfave/cli/v2"
)

// serviceCLIFlags are the mount flags of service.go's features.
func serviceCLIFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "key-credential", Usage: "current KEK from the systemd credential `NAME` ($CREDENTIALS_DIRECTORY/NAME: LoadCredential= or LoadCredentialEncrypted= in the unit), with id --key-id"},
		&cli.StringFlag{Name: "log-format", Usage: "text or json (default text; under systemd, lines carry a <N> priority and no timestamp)"},
		&cli.StringFlag{Name: "metrics-listen", Usage: "serve Prometheus metrics at http://`HOST:PORT`/metrics, such as 127.0.0.1:9464 (loopback only unless --metrics-allow-remote)"},
		&cli.BoolFlag{Name: "metrics-allow-remote", Usage: "allow --metrics-listen on a non-loopback address (the endpoint has no authentication)"},
	}
}

// applyServiceFlags sets the service settings given as flags.
func applyServiceFlags(c *cli.Context, cfg *config) {
	if name := c.String("key-credential"); name != "" {
		cfg.Keys = append(cfg.Keys, keyConfig{ID: uint32(c.Uint("key-id")), State: "current", Credential: name})
	}
	if v := c.String("log-format"); v != "" {
		cfg.LogFormat = v
	}
	if v := c.String("metrics-listen"); v != "" {
		cfg.MetricsListen = v
	}
	if c.Bool("metrics-allow-remote") {
		cfg.MetricsAllowRemote = true
	}
}
