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

step "Not there yet"
echo "The failover pair in network namespaces, PID 1 boot and the VM image are"
echo "still being built (issues 3 to 5); make demo will boot them as they land."
