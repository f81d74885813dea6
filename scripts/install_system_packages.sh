#!/usr/bin/env bash
# Debian packages the portal needs beyond Python: Vietnamese fonts and Pango for PDFs,
# libmagic for upload sniffing, gettext, Chromium for browser journeys, wrk for benchmarks.
set -euo pipefail
PACKAGES=(fonts-noto-core fonts-liberation2 fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0
  libharfbuzz-subset0 libmagic1 gettext poppler-utils chromium wrk)
missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing Debian packages: ${missing[*]} (run: sudo apt-get install ${missing[*]})"
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
