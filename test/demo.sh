#!/bin/sh
# make demo: build the appliance from Debian's packages, seed two node
# disks from the example seeds, and boot the pair in QEMU.
set -eu
cd "$(dirname "$0")/.."
step() { printf '\n== %s\n' "$*"; }
start=$(date +%s)

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

step "Build the appliance: Debian's kernel and HAProxy plus tandem as /init (tandem-image build)"
./bin/tandem-image build --debs "$TANDEM_DEBS" --tandem bin/tandem --rootfs rootfs --out out

step "Write each node's seed into its own copy of the disk image (tandem-image seed)"
for n in 1 2; do
	cp --sparse=always out/tandem.img "out/haproxy$n.img"
	./bin/tandem-image seed --seed "configs/haproxy$n.toml" --into "out/haproxy$n.img"
done

go run ./test/cmd/tandem-demo -out out -disks out/haproxy1.img,out/haproxy2.img

step "Done in $(($(date +%s) - start))s"
