#!/bin/sh
# make demo: the main job on the example seeds, with what exists so far.
set -eu
cd "$(dirname "$0")/.."
step() { printf '\n== %s\n' "$*"; }

step "Validate both example seeds and check that they form a pair"
./bin/tandem seed check configs/haproxy1.toml configs/haproxy2.toml

step "A seed with a mistake is refused with file, line and key"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp configs/haproxy.cfg "$tmp/"
sed -e 's#"192.168.10.80/24"#"192.168.20.80/24"#' -e 's/^migration_threshold/migraton_threshold/' \
	configs/haproxy1.toml >"$tmp/haproxy1.toml"
if ./bin/tandem seed check "$tmp/haproxy1.toml"; then
	echo "demo: the broken seed was accepted" >&2
	exit 1
fi

step "The failover pair in network namespaces, with the real HAProxy"
go run ./test/cmd/tandem-demo

step "Not there yet"
echo "tandem as PID 1 in a booted image and the two-VM demo are still being built"
echo "(issues 4 and 5); make demo will boot the VM pair when they land."
