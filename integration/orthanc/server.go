package orthanc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// AET is the application entity title Orthanc answers to (storescu -aec).
const AET = "ORTHANC"

// startTimeout bounds the wait for Orthanc's REST API after the start.
const startTimeout = 60 * time.Second

// stopTimeout bounds the wait for Orthanc to exit after SIGTERM (it
// usually takes about 2.5 s).
const stopTimeout = 30 * time.Second

// ErrExited reports an Orthanc process that stopped on its own.
var ErrExited = errors.New("orthanc exited")

// Options describes one Orthanc instance.
type Options struct {
	// Binary is the Orthanc executable; empty means "Orthanc" from PATH.
	Binary string
	// WorkDir receives the configuration file and Orthanc's log.
	WorkDir string
	// StorageDirectory is where Orthanc writes the DICOM files.
	StorageDirectory string
	// IndexDirectory holds the SQLite index; empty leaves it unset, so that
	// Orthanc puts the index in StorageDirectory.
	IndexDirectory string
}

// Server is a running Orthanc process.
type Server struct {
	// URL is the base of the REST API, such as http://127.0.0.1:18042.
	URL string
	// DicomPort is the DICOM (C-STORE) port on 127.0.0.1.
	DicomPort int
	// LogPath is the file that receives Orthanc's output.
	LogPath string

	cmd     *exec.Cmd
	client  *http.Client
	exited  chan struct{}
	waitErr error // set before exited is closed
}

// Start writes a configuration into opts.WorkDir, starts Orthanc and waits
// until GET /system answers. The caller must call Stop.
func Start(ctx context.Context, opts Options) (*Server, error) {
	binary := opts.Binary
	if binary == "" {
		binary = "Orthanc"
	}
	httpPort, err := freePort()
	if err != nil {
		return nil, err
	}
	dicomPort, err := freePort()
	if err != nil {
		return nil, err
	}
	confPath := filepath.Join(opts.WorkDir, fmt.Sprintf("orthanc-%d.json", httpPort))
	if err := writeConfig(confPath, opts, httpPort, dicomPort); err != nil {
		return nil, err
	}
	logPath := filepath.Join(opts.WorkDir, fmt.Sprintf("orthanc-%d.log", httpPort))
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("orthanc log: %w", err)
	}
	defer logFile.Close() // the child holds its own descriptor
	cmd := exec.Command(binary, confPath)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", binary, err)
	}
	s := &Server{
		URL:       fmt.Sprintf("http://127.0.0.1:%d", httpPort),
		DicomPort: dicomPort,
		LogPath:   logPath,
		cmd:       cmd,
		client:    &http.Client{Timeout: 5 * time.Minute},
		exited:    make(chan struct{}),
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	if err := s.waitReady(ctx); err != nil {
		return nil, errors.Join(err, s.Stop())
	}
	return s, nil
}

// writeConfig writes Orthanc's JSON configuration: loopback use only, the
// storage cache off so that every read reaches the filesystem, and
// SyncStorageArea on (fdatasync before an instance is acknowledged).
func writeConfig(path string, opts Options, httpPort, dicomPort int) error {
	conf := map[string]any{
		"Name":                    "sealfs-test",
		"StorageDirectory":        opts.StorageDirectory,
		"HttpPort":                httpPort,
		"DicomPort":               dicomPort,
		"DicomAet":                AET,
		"DicomModalities":         map[string]any{"sealfstest": []any{"SEALFSTEST", "127.0.0.1", 104}},
		"MaximumStorageCacheSize": 0,
		"RemoteAccessAllowed":     false,
		"AuthenticationEnabled":   false,
		"SyncStorageArea":         true,
		"StorageCompression":      false,
		"HttpTimeout":             300,
	}
	if opts.IndexDirectory != "" {
		conf["IndexDirectory"] = opts.IndexDirectory
	}
	data, err := json.MarshalIndent(conf, "", "  ")
	if err != nil {
		return fmt.Errorf("orthanc config: %w", err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("orthanc config: %w", err)
	}
	return nil
}

// waitReady polls GET /system until it answers 200, Orthanc exits, or the
// start timeout passes.
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	ticker := time.NewTicker(50 * time.Millisecond)
	defer ticker.Stop()
	for {
		status, _, err := s.Do(ctx, http.MethodGet, "/system", nil)
		if err == nil && status == http.StatusOK {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("%w before answering (%v); see %s", ErrExited, s.waitErr, s.LogPath)
		case <-ctx.Done():
			return fmt.Errorf("orthanc at %s not ready (last: status %d, %v); see %s: %w", s.URL, status, err, s.LogPath, ctx.Err())
		case <-ticker.C:
		}
	}
}

// Stop sends SIGTERM and waits for Orthanc to exit, killing it after the
// stop timeout. An exit caused by the SIGTERM is not an error.
func (s *Server) Stop() error {
	select {
	case <-s.exited:
		return s.exitError()
	default:
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stopping orthanc: %w", err)
	}
	select {
	case <-s.exited:
		return s.exitError()
	case <-time.After(stopTimeout):
		_ = s.cmd.Process.Kill()
		<-s.exited
		return fmt.Errorf("orthanc did not exit within %v of SIGTERM; killed it (log: %s)", stopTimeout, s.LogPath)
	}
}

// exitError reports an unclean exit; call it only after exited is closed.
func (s *Server) exitError() error {
	if s.waitErr == nil {
		return nil
	}
	var exitErr *exec.ExitError
	if errors.As(s.waitErr, &exitErr) {
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGTERM {
			return nil
		}
	}
	return fmt.Errorf("orthanc: %w (log: %s)", s.waitErr, s.LogPath)
}

// freePort asks the kernel for a free TCP port on the loopback interface.
// Orthanc listens on every interface, so the port is only free, not private.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
