package heartbeat

import (
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
)

// keyLabel binds the derived key to this protocol and version, so the same
// secret used elsewhere (memberlist) never yields the same key.
const keyLabel = "tandem heartbeat v1"

// deriveKey turns the raw shared secret into the 32-byte HMAC key.
func deriveKey(secret []byte) ([]byte, error) {
	k, err := hkdf.Key(sha256.New, secret, nil, keyLabel, 32)
	if err != nil {
		return nil, fmt.Errorf("heartbeat: derive key: %w", err)
	}
	return k, nil
}
