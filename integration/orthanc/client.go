package orthanc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// ErrStatus reports an HTTP answer other than the one expected.
var ErrStatus = errors.New("unexpected HTTP status")

// Do sends one request to the REST API and returns the status and body.
func (s *Server) Do(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, reader)
	if err != nil {
		return 0, nil, fmt.Errorf("orthanc %s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/dicom")
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("orthanc %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("orthanc %s %s: reading the answer: %w", method, path, err)
	}
	return resp.StatusCode, data, nil
}

// call sends a request that must answer 200 and decodes its JSON into out
// (unless out is nil).
func (s *Server) call(ctx context.Context, method, path string, body []byte, out any) error {
	status, data, err := s.Do(ctx, method, path, body)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("orthanc %s %s: %w %d: %s", method, path, ErrStatus, status, truncate(data))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("orthanc %s %s: decoding %s: %w", method, path, truncate(data), err)
	}
	return nil
}

// Upload stores one DICOM file (POST /instances) and returns Orthanc's
// instance id. A file that Orthanc already holds is not an error.
func (s *Server) Upload(ctx context.Context, dicom []byte) (string, error) {
	var answer struct{ ID, Status string }
	if err := s.call(ctx, http.MethodPost, "/instances", dicom, &answer); err != nil {
		return "", err
	}
	if answer.Status != "Success" && answer.Status != "AlreadyStored" {
		return "", fmt.Errorf("orthanc POST /instances: status %q", answer.Status)
	}
	return answer.ID, nil
}

// File returns the stored DICOM file of an instance (GET
// /instances/{id}/file); any status but 200 is an error wrapping ErrStatus.
func (s *Server) File(ctx context.Context, id string) ([]byte, error) {
	status, data, err := s.Do(ctx, http.MethodGet, "/instances/"+id+"/file", nil)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("orthanc GET /instances/%s/file: %w %d: %s", id, ErrStatus, status, truncate(data))
	}
	return data, nil
}

// SimplifiedTags returns the main tags of an instance by name, such as
// "PatientID" and "SOPInstanceUID" (GET /instances/{id}/simplified-tags).
// Sequences and other non-string values are left out.
func (s *Server) SimplifiedTags(ctx context.Context, id string) (map[string]string, error) {
	var raw map[string]any
	if err := s.call(ctx, http.MethodGet, "/instances/"+id+"/simplified-tags", nil, &raw); err != nil {
		return nil, err
	}
	tags := make(map[string]string, len(raw))
	for name, value := range raw {
		if text, ok := value.(string); ok {
			tags[name] = text
		}
	}
	return tags, nil
}

// List returns the ids of every resource of a level: "patients",
// "studies", "series" or "instances".
func (s *Server) List(ctx context.Context, level string) ([]string, error) {
	var ids []string
	err := s.call(ctx, http.MethodGet, "/"+level, nil, &ids)
	return ids, err
}

// Delete removes a resource, such as "/studies/{id}".
func (s *Server) Delete(ctx context.Context, path string) error {
	return s.call(ctx, http.MethodDelete, path, nil, nil)
}

// LookupInstance returns the Orthanc id of the instance with the given
// SOPInstanceUID (POST /tools/lookup).
func (s *Server) LookupInstance(ctx context.Context, sopInstanceUID string) (string, error) {
	var found []struct{ ID, Type string }
	if err := s.call(ctx, http.MethodPost, "/tools/lookup", []byte(sopInstanceUID), &found); err != nil {
		return "", err
	}
	for _, f := range found {
		if f.Type == "Instance" {
			return f.ID, nil
		}
	}
	return "", fmt.Errorf("orthanc: no instance with SOPInstanceUID %s", sopInstanceUID)
}

// AttachmentUUID returns the uuid under which Orthanc stores an instance's
// DICOM file: StorageDirectory/uuid[0:2]/uuid[2:4]/uuid.
func (s *Server) AttachmentUUID(ctx context.Context, id string) (string, error) {
	var info struct{ Uuid string }
	if err := s.call(ctx, http.MethodGet, "/instances/"+id+"/attachments/dicom/info", nil, &info); err != nil {
		return "", err
	}
	if len(info.Uuid) < 4 || strings.ContainsAny(info.Uuid, "/.") {
		return "", fmt.Errorf("orthanc attachment of %s: unexpected uuid %q", id, info.Uuid)
	}
	return info.Uuid, nil
}

// StoragePath returns the path, relative to StorageDirectory, of the file
// with the given attachment uuid.
func StoragePath(uuid string) string {
	return uuid[0:2] + "/" + uuid[2:4] + "/" + uuid
}

// truncate shortens an answer for an error message.
func truncate(data []byte) string {
	const limit = 300
	if len(data) > limit {
		return string(data[:limit]) + "…"
	}
	return string(data)
}
