#!/usr/bin/env bash
# Build the standalone one-folder bundle: dist/digitpad/ (run dist/digitpad/digitpad).
#   packaging/build.sh                  build, then run the bundle's --self-test headless
#   packaging/build.sh install-desktop  also install the .desktop entry and icons for this user (Linux)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3

if [ "${1:-}" != "install-desktop" ] || [ ! -x dist/digitpad/digitpad ]; then
  "$PY" -m pip install --quiet "pyinstaller>=6.10"
  start=$(date +%s)
  "$PY" -m PyInstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller packaging/digitpad.spec
  # TensorFlow's libraries carry ~300 MB of symbol tables the app never needs
  if command -v strip >/dev/null; then
    find dist/digitpad/_internal/tensorflow -name "*.so*" -type f -exec strip --strip-unneeded {} +
  fi
  echo "built dist/digitpad in $(( $(date +%s) - start )) s; size: $(du -sh dist/digitpad | cut -f1)"
  QT_QPA_PLATFORM=offscreen dist/digitpad/digitpad --self-test
fi

if [ "${1:-}" = "install-desktop" ]; then
  apps="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
  icons="${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor"
  mkdir -p "$apps" "$icons/scalable/apps"
  sed "s|^Exec=digitpad|Exec=$(pwd)/dist/digitpad/digitpad|" packaging/digitpad.desktop > "$apps/digitpad.desktop"
  cp resources/icons/digitpad.svg "$icons/scalable/apps/digitpad.svg"
  for s in 16 32 48 64 128 256; do
    mkdir -p "$icons/${s}x${s}/apps"
    cp "resources/icons/digitpad-$s.png" "$icons/${s}x${s}/apps/digitpad.png"
  done
  command -v update-desktop-database >/dev/null && update-desktop-database "$apps" || true
  echo "installed $apps/digitpad.desktop"
fi
