#!/usr/bin/env bash
# Issue 19: a synced folder's first push and an incremental push of a 100 MiB tree of 5,000 files, through
# LabRunner's whole push path (tree read and hashed, manifest, SSH.NET, sudo, GNU tar) to a real OpenSSH server on
# 127.0.0.1 that the benchmark starts and ends by pid. Needs root and openssh-server.
#   sudo bash bench/sync-push.sh
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet run -c Release --project bench/LabRunner.Benchmarks -- sync
