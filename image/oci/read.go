package oci

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/klauspost/compress/gzip"
)

// Image is what Inspect found in an archive.
type Image struct {
	Index    Index
	Manifest Manifest
	Config   Config
	Files    map[string]*tar.Header // layer entries by name
}

// Inspect reads an archive written by WriteArchive (or any single-manifest,
// single-platform OCI archive), checking every digest and the layer diff_id.
func Inspect(file string) (*Image, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("oci: %w", err)
	}
	defer f.Close()
	files := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("oci: read %s: %w", file, err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("oci: read %s: %w", h.Name, err)
		}
		files[h.Name] = b
	}
	if string(files["oci-layout"]) == "" {
		return nil, fmt.Errorf("oci: no oci-layout file")
	}
	img := &Image{Files: map[string]*tar.Header{}}
	if err := json.Unmarshal(files["index.json"], &img.Index); err != nil {
		return nil, fmt.Errorf("oci: index.json: %w", err)
	}
	if len(img.Index.Manifests) != 1 {
		return nil, fmt.Errorf("oci: index lists %d manifests, want 1", len(img.Index.Manifests))
	}
	get := func(d Descriptor) ([]byte, error) {
		b, ok := files[blobPath(d.Digest)]
		if !ok {
			return nil, fmt.Errorf("oci: blob %s missing", d.Digest)
		}
		sum := sha256.Sum256(b)
		if "sha256:"+hex.EncodeToString(sum[:]) != d.Digest || int64(len(b)) != d.Size {
			return nil, fmt.Errorf("oci: blob %s does not match its descriptor", d.Digest)
		}
		return b, nil
	}
	b, err := get(img.Index.Manifests[0])
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &img.Manifest); err != nil {
		return nil, fmt.Errorf("oci: manifest: %w", err)
	}
	if b, err = get(img.Manifest.Config); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &img.Config); err != nil {
		return nil, fmt.Errorf("oci: config: %w", err)
	}
	if len(img.Manifest.Layers) != 1 || len(img.Config.RootFS.DiffIDs) != 1 {
		return nil, fmt.Errorf("oci: want exactly one layer")
	}
	if b, err = get(img.Manifest.Layers[0]); err != nil {
		return nil, err
	}
	gz, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("oci: layer: %w", err)
	}
	diff := sha256.New()
	lt := tar.NewReader(io.TeeReader(gz, diff))
	for {
		h, err := lt.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("oci: layer: %w", err)
		}
		img.Files[h.Name] = h
	}
	io.Copy(io.Discard, gz)
	if got := "sha256:" + hex.EncodeToString(diff.Sum(nil)); got != img.Config.RootFS.DiffIDs[0] {
		return nil, fmt.Errorf("oci: layer diff_id %s, config says %s", got, img.Config.RootFS.DiffIDs[0])
	}
	return img, nil
}
