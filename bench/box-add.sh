#!/usr/bin/env bash
# 'lab box add' of a 1 GiB box from loopback HTTP, side by side with curl fetching the same file from the
# same server (and curl followed by sha256sum, the fair comparison: lab verifies the checksum as it goes).
# Everything big stays in $BENCH_DIR (default /tmp/labrunner-box-bench); nothing is written to the repository.
#   bash bench/box-add.sh            # builds lab, makes the 1 GiB file once, then measures RUNS times each
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${BENCH_DIR:-/tmp/labrunner-box-bench}
runs=${RUNS:-5}
size_mib=${SIZE_MIB:-1024}
mkdir -p "$dir/www" "$dir/out"

# lab: the native binary when it can be published (clang present), else the JIT'd dll.
if command -v clang >/dev/null && dotnet publish src/LabRunner.Cli -c Release -r linux-x64 -o "$dir/lab" >/dev/null 2>&1; then
  lab=("$dir/lab/lab")
else
  dotnet build src/LabRunner.Cli -c Release -o "$dir/lab-jit" >/dev/null
  lab=(dotnet "$dir/lab-jit/lab.dll")
fi

box="$dir/www/box.img"   # random bytes: nothing compresses; named .img so lab takes it as a raw disk
if [ ! -f "$box" ] || [ "$(stat -c %s "$box")" -ne $((size_mib << 20)) ]; then
  head -c $((size_mib << 20)) /dev/urandom > "$box"
fi
sum=$(sha256sum "$box" | cut -d' ' -f1)

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$dir/www" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
url="http://127.0.0.1:$port/box.img"

seconds() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); echo "$e - $s" | bc -l; }
best() { sort -g | head -1; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
rate() { echo "scale=0; $size_mib / $1" | bc -l; }

cat "$box" >/dev/null # warm the page cache for the server
curl_t=(); curlsum_t=(); lab_t=()
for i in $(seq "$runs"); do
  rm -f "$dir/out/curl.img"
  curl_t+=("$(seconds curl -sf -o "$dir/out/curl.img" "$url")")
  rm -f "$dir/out/curl.img"
  curlsum_t+=("$(seconds bash -c "curl -sf -o '$dir/out/curl.img' '$url' && sha256sum '$dir/out/curl.img'")")
  rm -f "$dir/out/curl.img"
  rm -rf "$dir/home"
  lab_t+=("$(LABRUNNER_HOME="$dir/home" LABRUNNER_PROVIDER=qemu seconds "${lab[@]}" box add bench "$url" --checksum "sha256:$sum")")
  test -f "$dir/home/boxes/bench/0/qemu-raw/box.img"
done
# The machine may be shared: report the best run (least disturbed) and the median of each.
row() { local b m; b=$(printf '%s\n' "${@:2}" | best); m=$(printf '%s\n' "${@:2}" | median)
  printf '%-44s %8.2f %8.2f %10s\n' "$1" "$b" "$m" "$(rate "$b")"; }
printf '%-44s %8s %8s %10s\n' "${size_mib} MiB over loopback, $runs runs" "best s" "median s" "best MiB/s"
row "curl -o FILE" "${curl_t[@]}"
row "curl -o FILE && sha256sum FILE" "${curlsum_t[@]}"
row "lab box add (sha256 verified, installed)" "${lab_t[@]}"
c=$(printf '%s\n' "${curl_t[@]}" | best); l=$(printf '%s\n' "${lab_t[@]}" | best)
cm=$(printf '%s\n' "${curl_t[@]}" | median); lm=$(printf '%s\n' "${lab_t[@]}" | median)
printf 'lab box add throughput vs curl: best %s %%, median %s %%\n' "$(echo "scale=0; 100 * $c / $l" | bc -l)" "$(echo "scale=0; 100 * $cm / $lm" | bc -l)"
rm -rf "$dir/out" "$dir/home"
