package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/sealfs/sealfs/integration/testenv"
)

// minioReadyTimeout bounds the wait for MinIO to answer its health check.
const minioReadyTimeout = 90 * time.Second

// minioAccessKey is the root user of the bench's throwaway MinIO.
const minioAccessKey = "sealfs-bench"

// errMinIONotFound reports that no MinIO binary could be found.
var errMinIONotFound = errors.New("minio not found: run scripts/test.sh (it builds MinIO into the tools cache), or set SEALFS_MINIO")

// minioServer is a MinIO process the bench started, listening on loopback.
type minioServer struct {
	endpoint  string // http://127.0.0.1:PORT
	accessKey string
	secretKey string
	cmd       *exec.Cmd
	exited    chan struct{}
	waitErr   error // set before exited is closed
}

// startMinIO runs MinIO with its data in dataDir and its output in logPath,
// and waits until it is ready. The secret key is random for every run.
func startMinIO(ctx context.Context, dataDir, logPath string) (*minioServer, error) {
	binary, ok := testenv.FindTool("SEALFS_MINIO", "minio", filepath.Join("minio-"+testenv.MinIOVersion, "minio"))
	if !ok {
		return nil, errMinIONotFound
	}
	var secret [24]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return nil, fmt.Errorf("minio secret: %w", err)
	}
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("minio log: %w", err)
	}
	defer logFile.Close() // the child holds its own descriptor
	m := &minioServer{
		endpoint:  "http://127.0.0.1:" + strconv.Itoa(ports[0]),
		accessKey: minioAccessKey,
		secretKey: hex.EncodeToString(secret[:]),
		exited:    make(chan struct{}),
	}
	m.cmd = exec.Command(binary, "server", dataDir,
		"--address", "127.0.0.1:"+strconv.Itoa(ports[0]),
		"--console-address", "127.0.0.1:"+strconv.Itoa(ports[1]), "--quiet")
	m.cmd.Env = append(scrubbedEnv(os.Environ()),
		"MINIO_ROOT_USER="+m.accessKey, "MINIO_ROOT_PASSWORD="+m.secretKey, "MINIO_BROWSER=off")
	m.cmd.Stdout, m.cmd.Stderr = logFile, logFile
	m.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := m.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting minio: %w", err)
	}
	go func() {
		m.waitErr = m.cmd.Wait()
		close(m.exited)
	}()
	if err := m.waitReady(ctx); err != nil {
		return nil, errors.Join(err, m.stop())
	}
	return m, nil
}

// waitReady polls MinIO's readiness endpoint until it answers.
func (m *minioServer) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, minioReadyTimeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.endpoint+"/minio/health/ready", nil)
		if err != nil {
			return fmt.Errorf("minio health check: %w", err)
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-m.exited:
			return fmt.Errorf("minio exited before it was ready: %v", m.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("waiting for minio at %s: %w", m.endpoint, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop ends MinIO with SIGTERM (SIGKILL after stopTimeout) and waits for it.
func (m *minioServer) stop() error {
	select {
	case <-m.exited:
		return nil
	default:
	}
	if err := m.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stopping minio: %w", err)
	}
	select {
	case <-m.exited:
		return nil
	case <-time.After(stopTimeout):
		_ = m.cmd.Process.Kill() // it may have exited meanwhile
		<-m.exited
		return fmt.Errorf("minio did not exit within %v of SIGTERM and was killed", stopTimeout)
	}
}

// freePorts returns count distinct TCP ports on 127.0.0.1 that were free a
// moment ago (all listeners are held until every port is chosen).
func freePorts(count int) ([]int, error) {
	ports := make([]int, 0, count)
	for range count {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
