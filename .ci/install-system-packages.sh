#!/bin/sh
# Installs the system packages the local lab needs (integration tests, `npm run drill`):
# sshd + ssh-keygen, PostgreSQL 15, MariaDB (server, backup, client; socat serves its physical backup to the twin), Redis (server, tools),
# Docker (docker.io: dockerd, containerd, runc; the lab starts one engine per lab host itself,
# no systemd needed) and Compose v1 (docker-compose), iproute2, iptables (the drill's network faults), procps, util-linux, CA certificates, and Chromium (the drill report is checked in a real headless browser).
#
# Idempotent and fast on a warm machine: only packages that `dpkg -s` does not
# report as installed are fetched; `apt-get update` runs only when something is missing.
# Run as root on Debian 12 / Ubuntu. The lab never depends on the distro's own
# PostgreSQL cluster (5432) or system sshd (22): it runs its own servers on other
# loopback addresses and ports, so those services are left as they are.
set -eu

PACKAGES="openssh-server openssh-client postgresql-15 mariadb-server mariadb-backup mariadb-client socat redis-server redis-tools docker.io docker-compose iproute2 iptables procps util-linux ca-certificates git chromium"

if [ "$(id -u)" -ne 0 ]; then
  echo "install-system-packages: must run as root (try: sudo $0)" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg >/dev/null 2>&1; then
  echo "install-system-packages: needs a Debian/Ubuntu system with apt-get; install by hand: $PACKAGES" >&2
  exit 1
fi

is_installed() {
  dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed$'
}

missing=""
for pkg in $PACKAGES; do
  if ! is_installed "$pkg"; then
    missing="$missing $pkg"
  fi
done

if [ -z "$missing" ]; then
  echo "install-system-packages: all present ($PACKAGES)"
  exit 0
fi

echo "install-system-packages: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update
# shellcheck disable=SC2086 # word splitting of the package list is intended
apt-get install -y --no-install-recommends $missing

# The privilege-separation directory sshd needs (the lab creates it too; /run is tmpfs).
mkdir -p /run/sshd
chmod 0755 /run/sshd
echo "install-system-packages: done"
