#!/usr/bin/env bash
# Writes a Labfile with N VMs (default 500) on a NAT /16 slice and a private network, to stdout.
set -euo pipefail
n=${1:-500}
cat <<YAML
name: big
nat:
  prefix: 10.188.0.0/16
defaults:
  box: ubuntu
  memory: 512MB
boxes:
  ubuntu: boxes/ubuntu.vhdx
networks:
  - name: lan
    type: nat
    subnet: 10.188.64.0/20
  - name: back
    type: private
    subnet: 172.30.0.0/20
vms:
YAML
for i in $(seq 1 "$n"); do
  cat <<YAML
  - name: vm-$i
    networks:
      - lan
      - back
YAML
  if [ $((i % 10)) -eq 0 ]; then
    echo "    forwarded_ports:"
    echo "      - { guest: 22, host: $((20000 + i)) }"
  fi
done
