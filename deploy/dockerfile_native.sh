#!/usr/bin/env bash
# The Dockerfile's steps run natively (no Docker daemon here): a fresh venv, the files the image
# copies, `pip install -e .`, `netplay warmup` into its own Numba cache; then a cold start is
# measured: `python -m tests.load.cold_start DIR` starts DIR's netplay and times each lab's first
# page with its picture in Chromium. Usage: deploy/dockerfile_native.sh [DIR] (default /tmp/netplay-image)
set -euo pipefail
DIR=${1:-/tmp/netplay-image}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$DIR" && mkdir -p "$DIR/opt"
python3 -m venv "$DIR/venv"
export PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 NUMBA_CACHE_DIR="$DIR/opt/numba-cache"
git -C "$ROOT" archive HEAD pyproject.toml README.md engine app assets .streamlit | tar -x -C "$DIR/opt"
cd "$DIR/opt"
start=$(date +%s)
"$DIR/venv/bin/pip" install -q --no-cache-dir -e .
installed=$(date +%s)
"$DIR/venv/bin/netplay" warmup
echo "image built in $DIR: pip install $((installed - start)) s, warmup $(( $(date +%s) - installed )) s"
