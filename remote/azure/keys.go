package azure

import (
	"fmt"

	"github.com/sealfs/sealfs/remote"
)

// checkKey validates key with the rules every backend shares (remote.CheckKey).
func checkKey(key string) (isMarker bool, err error) { return remote.CheckKey(key) }

// checkPrefix validates a List prefix (remote.CheckPrefix).
func checkPrefix(prefix string) error { return remote.CheckPrefix(prefix) }

// invalidKey builds the ErrInvalidKey error for key.
func invalidKey(key, reason string) error {
	return fmt.Errorf("azure: key %q: %s: %w", key, reason, remote.ErrInvalidKey)
}
