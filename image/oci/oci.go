// Package oci writes a root tree as an OCI image archive (an oci-layout
// directory in a tar, the form `podman load`, `skopeo copy oci-archive:` and
// `docker load` accept): one gzip layer, a config with the entrypoint, a
// manifest and index.json, all content-addressed by sha256 and byte-for-byte
// reproducible.
package oci

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/klauspost/compress/gzip"

	"tandem/image/fstree"
)

// Media types used.
const (
	MediaIndex    = "application/vnd.oci.image.index.v1+json"
	MediaManifest = "application/vnd.oci.image.manifest.v1+json"
	MediaConfig   = "application/vnd.oci.image.config.v1+json"
	MediaLayer    = "application/vnd.oci.image.layer.v1.tar+gzip"
)

// Options for the image.
type Options struct {
	Entrypoint []string
	Env        []string
	Tag        string    // ref name, e.g. "tandem:latest"
	Time       time.Time // creation time and every file's mtime
}

// Descriptor is an OCI content descriptor.
type Descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Manifest is an OCI image manifest.
type Manifest struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	Config        Descriptor   `json:"config"`
	Layers        []Descriptor `json:"layers"`
}

// Index is index.json.
type Index struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	Manifests     []Descriptor `json:"manifests"`
}

// Config is the image configuration (the fields this builder sets).
type Config struct {
	Created      string `json:"created"`
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Config       struct {
		Entrypoint []string `json:"Entrypoint"`
		Env        []string `json:"Env,omitempty"`
	} `json:"config"`
	RootFS struct {
		Type    string   `json:"type"`
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
}

type dockerManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

func digest(h hash.Hash) string { return "sha256:" + hex.EncodeToString(h.Sum(nil)) }

func blobPath(d string) string { return "blobs/sha256/" + d[len("sha256:"):] }

// WriteArchive writes the OCI archive of t to file. Device nodes are left
// out: a container runtime provides /dev.
func WriteArchive(file string, t *fstree.Tree, opt Options) error {
	layer, err := os.CreateTemp(filepath.Dir(file), ".layer-*")
	if err != nil {
		return fmt.Errorf("oci: %w", err)
	}
	defer os.Remove(layer.Name())
	defer layer.Close()
	diffH, blobH := sha256.New(), sha256.New()
	gz, err := gzip.NewWriterLevel(io.MultiWriter(layer, blobH), gzip.DefaultCompression)
	if err != nil {
		return fmt.Errorf("oci: %w", err)
	}
	if err := writeLayer(io.MultiWriter(gz, diffH), t, opt.Time); err != nil {
		return err
	}
	if err := gz.Close(); err != nil {
		return fmt.Errorf("oci: compress layer: %w", err)
	}
	layerSize, err := layer.Seek(0, io.SeekCurrent)
	if err != nil {
		return fmt.Errorf("oci: %w", err)
	}
	layerDesc := Descriptor{MediaType: MediaLayer, Digest: digest(blobH), Size: layerSize}

	var cfg Config
	cfg.Created = opt.Time.UTC().Format(time.RFC3339)
	cfg.Architecture, cfg.OS = "amd64", "linux"
	cfg.Config.Entrypoint = opt.Entrypoint
	cfg.Config.Env = opt.Env
	cfg.RootFS.Type = "layers"
	cfg.RootFS.DiffIDs = []string{digest(diffH)}
	cfgJSON, cfgDesc, err := blob(MediaConfig, cfg)
	if err != nil {
		return err
	}
	man := Manifest{SchemaVersion: 2, MediaType: MediaManifest, Config: cfgDesc, Layers: []Descriptor{layerDesc}}
	manJSON, manDesc, err := blob(MediaManifest, man)
	if err != nil {
		return err
	}
	if opt.Tag != "" {
		manDesc.Annotations = map[string]string{"org.opencontainers.image.ref.name": opt.Tag}
	}
	idxJSON, err := json.Marshal(Index{SchemaVersion: 2, MediaType: MediaIndex, Manifests: []Descriptor{manDesc}})
	if err != nil {
		return fmt.Errorf("oci: %w", err)
	}
	var tags []string
	if opt.Tag != "" {
		tags = []string{opt.Tag}
	}
	dockerJSON, err := json.Marshal([]dockerManifest{{Config: blobPath(cfgDesc.Digest), RepoTags: tags, Layers: []string{blobPath(layerDesc.Digest)}}})
	if err != nil {
		return fmt.Errorf("oci: %w", err)
	}

	out, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("oci: %w", err)
	}
	defer out.Close()
	tw := tar.NewWriter(out)
	add := func(name string, data []byte, r io.Reader, size int64) error {
		h := &tar.Header{Name: name, Mode: 0o644, Size: size, ModTime: opt.Time, Typeflag: tar.TypeReg, Format: tar.FormatUSTAR}
		if data != nil {
			h.Size = int64(len(data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("oci: %s: %w", name, err)
		}
		if data != nil {
			_, err = tw.Write(data)
		} else {
			_, err = io.Copy(tw, r)
		}
		if err != nil {
			return fmt.Errorf("oci: %s: %w", name, err)
		}
		return nil
	}
	for _, d := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(&tar.Header{Name: d, Mode: 0o755, ModTime: opt.Time, Typeflag: tar.TypeDir, Format: tar.FormatUSTAR}); err != nil {
			return fmt.Errorf("oci: %w", err)
		}
	}
	if _, err := layer.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("oci: %w", err)
	}
	steps := []error{
		add(blobPath(layerDesc.Digest), nil, layer, layerSize),
		add(blobPath(cfgDesc.Digest), cfgJSON, nil, 0),
		add(blobPath(manDesc.Digest), manJSON, nil, 0),
		add("index.json", idxJSON, nil, 0),
		add("manifest.json", dockerJSON, nil, 0),
		add("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`), nil, 0),
	}
	for _, err := range steps {
		if err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("oci: %w", err)
	}
	return out.Close()
}

func blob(mediaType string, v any) ([]byte, Descriptor, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, Descriptor{}, fmt.Errorf("oci: %w", err)
	}
	sum := sha256.Sum256(b)
	return b, Descriptor{MediaType: mediaType, Digest: "sha256:" + hex.EncodeToString(sum[:]), Size: int64(len(b))}, nil
}

func writeLayer(w io.Writer, t *fstree.Tree, mtime time.Time) error {
	tw := tar.NewWriter(w)
	for _, e := range t.Entries() {
		h := &tar.Header{Name: e.Path, Mode: int64(e.Perm), ModTime: mtime, Format: tar.FormatPAX}
		switch e.Kind {
		case fstree.Dir:
			h.Typeflag, h.Name = tar.TypeDir, e.Path+"/"
		case fstree.Symlink:
			h.Typeflag, h.Linkname = tar.TypeSymlink, e.Target
		case fstree.File:
			h.Typeflag, h.Size = tar.TypeReg, e.Size
		default:
			continue
		}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("oci: layer %s: %w", e.Path, err)
		}
		if e.Kind != fstree.File {
			continue
		}
		r, err := e.Open()
		if err != nil {
			return err
		}
		n, err := io.Copy(tw, r)
		r.Close()
		if err != nil {
			return fmt.Errorf("oci: layer %s: %w", e.Path, err)
		}
		if n != e.Size {
			return fmt.Errorf("oci: %s changed size while writing", e.Path)
		}
	}
	return tw.Close()
}
