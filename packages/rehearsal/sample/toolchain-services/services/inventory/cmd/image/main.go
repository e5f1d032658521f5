// Command image builds the inventory service into an OCI image layout at $IMAGE_OUTPUT, the way ko does
// for Go services that have no Dockerfile: a static binary as the one layer of an image with no base, run
// as a non-root user. The team keeps this small builder in the repository (standard library only) so that
// building the image needs the Go toolchain and nothing else: no Docker engine, no base image to pull.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"
)

const (
	manifestType = "application/vnd.oci.image.manifest.v1+json"
	configType   = "application/vnd.oci.image.config.v1+json"
	layerType    = "application/vnd.oci.image.layer.v1.tar+gzip"
	indexType    = "application/vnd.oci.image.index.v1+json"
	entrypoint   = "/inventory"
	nonRoot      = "65532"
)

type descriptor struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int    `json:"size"`
}

// layout is an OCI image layout being written: blobs by digest, then index.json.
type layout struct{ dir string }

func (l layout) blob(mediaType string, content []byte) descriptor {
	sum := sha256.Sum256(content)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	path := filepath.Join(l.dir, "blobs", "sha256", hex.EncodeToString(sum[:]))
	must(os.MkdirAll(filepath.Dir(path), 0o755))
	must(os.WriteFile(path, content, 0o644))
	return descriptor{MediaType: mediaType, Digest: digest, Size: len(content)}
}

func (l layout) json(mediaType string, value any) descriptor {
	content, err := json.Marshal(value)
	must(err)
	return l.blob(mediaType, content)
}

// buildBinary compiles the service. netgo and osusergo select Go's own DNS resolver and user lookup: the
// binary then needs no libc, which an image without a base does not have.
func buildBinary(dir string) []byte {
	binary := filepath.Join(dir, "inventory")
	build := exec.Command("go", "build", "-tags", "netgo,osusergo", "-ldflags", "-s -w", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	must(build.Run())
	content, err := os.ReadFile(binary)
	must(err)
	return content
}

// layerOf is a gzipped tar holding the binary at the entrypoint, with fixed times and owners so that the
// same binary gives the same layer. It returns the layer and the digest of its uncompressed tar.
func layerOf(binary []byte) ([]byte, string) {
	var archive bytes.Buffer
	writer := tar.NewWriter(&archive)
	must(writer.WriteHeader(&tar.Header{
		Name:    entrypoint[1:],
		Mode:    0o755,
		Size:    int64(len(binary)),
		ModTime: time.Unix(0, 0),
		Format:  tar.FormatPAX,
	}))
	_, err := writer.Write(binary)
	must(err)
	must(writer.Close())
	diffID := sha256.Sum256(archive.Bytes())
	var compressed bytes.Buffer
	gz := gzip.NewWriter(&compressed)
	_, err = gz.Write(archive.Bytes())
	must(err)
	must(gz.Close())
	return compressed.Bytes(), "sha256:" + hex.EncodeToString(diffID[:])
}

func main() {
	output := os.Getenv("IMAGE_OUTPUT")
	if output == "" {
		log.Fatal("IMAGE_OUTPUT is not set: give the directory to write the OCI image layout to")
	}
	work, err := os.MkdirTemp("", "inventory-image-")
	must(err)
	defer os.RemoveAll(work)
	layer, diffID := layerOf(buildBinary(work))

	out := layout{dir: output}
	layerDescriptor := out.blob(layerType, layer)
	config := out.json(configType, map[string]any{
		"architecture": runtime.GOARCH,
		"os":           "linux",
		"config": map[string]any{
			"Entrypoint":   []string{entrypoint},
			"Env":          []string{"PORT=8080"},
			"ExposedPorts": map[string]any{"8080/tcp": map[string]any{}},
			"User":         nonRoot,
		},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{diffID}},
	})
	manifest := out.json(manifestType, map[string]any{
		"schemaVersion": 2,
		"mediaType":     manifestType,
		"config":        config,
		"layers":        []descriptor{layerDescriptor},
	})
	index, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     indexType,
		"manifests":     []descriptor{manifest},
	})
	must(err)
	must(os.WriteFile(filepath.Join(output, "index.json"), index, 0o644))
	must(os.WriteFile(filepath.Join(output, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644))
	fmt.Printf("wrote %s (%d-byte layer) to %s\n", manifest.Digest, layerDescriptor.Size, output)
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
