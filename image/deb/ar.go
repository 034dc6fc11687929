// Package deb unpacks Debian binary packages in pure Go: the ar container,
// then data.tar compressed with xz, zstd, gzip or nothing, into a directory.
// Maintainer scripts are not run; the caller builds what they would have made.
package deb

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// arMember finds the named ar member (by prefix, e.g. "data.tar") and
// returns its full name and a reader limited to its content.
func arMember(r io.Reader, prefix string) (string, io.Reader, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	magic := make([]byte, 8)
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != "!<arch>\n" {
		return "", nil, fmt.Errorf("not an ar archive")
	}
	for {
		hdr := make([]byte, 60)
		if _, err := io.ReadFull(br, hdr); err != nil {
			return "", nil, fmt.Errorf("no %s* member: %w", prefix, err)
		}
		name := strings.TrimSuffix(strings.TrimSpace(string(hdr[:16])), "/")
		size, err := strconv.ParseInt(strings.TrimSpace(string(hdr[48:58])), 10, 64)
		if err != nil || size < 0 {
			return "", nil, fmt.Errorf("bad ar member size %q", hdr[48:58])
		}
		if strings.HasPrefix(name, prefix) {
			return name, io.LimitReader(br, size), nil
		}
		if _, err := br.Discard(int(size + size%2)); err != nil {
			return "", nil, fmt.Errorf("skip ar member %s: %w", name, err)
		}
	}
}
