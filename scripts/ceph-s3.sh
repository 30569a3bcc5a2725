#!/usr/bin/env bash
# A throwaway single-node Ceph cluster (one mon, one memstore OSD, one RADOS Gateway) on 127.0.0.1: a real S3 API
# for the integration suite (TARGET_S3_TEST_S3=ceph) and CI.
#
#   scripts/ceph-s3.sh start      installs radosgw, ceph-mon and ceph-osd with apt-get when missing (needs root),
#                                 starts the cluster in a fresh temp folder on free ports with a user holding random
#                                 keys, and prints shell lines: CEPH_S3_DIR, CEPH_S3_ENDPOINT, CEPH_S3_ACCESS_KEY_ID,
#                                 CEPH_S3_SECRET_ACCESS_KEY (also written to $CEPH_S3_DIR/env).
#   scripts/ceph-s3.sh install    only the apt-get install (when missing).
#   scripts/ceph-s3.sh stop DIR   stops the daemons that start wrote PID files for, and removes DIR.
#
# CEPH_S3_START_TIMEOUT (seconds, default 90) bounds the start; on failure the daemons' log tails go to stderr and
# whatever was started is stopped. Config lines that matter: with auth none, `ms_mon_client_mode = crc` (the
# default secure mode makes the gateway hang fetching its config); the fast paxos settings and `pg_num = 1` (start
# 11.8 s -> ~2 s); memstore (no disk); `rgw_crypt_require_ssl = false` (SSE headers over plain HTTP).
set -euo pipefail

die() { echo "ceph-s3: $*" >&2; exit 1; }

stop_dir() {
  local dir=$1 pid n
  [ -d "$dir/run" ] || return 0
  for n in rgw osd mon; do
    for f in "$dir"/run/*"$n"*.pid; do
      [ -f "$f" ] || continue
      pid=$(cat "$f")
      [ -n "$pid" ] || continue
      kill "$pid" 2>/dev/null || continue
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    done
  done
}

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
random_text() { tr -dc "$1" </dev/urandom | head -c "$2" || true; }

install_packages() {
  command -v radosgw >/dev/null && command -v ceph-mon >/dev/null && command -v ceph-osd >/dev/null && return 0
  [ "$(id -u)" -eq 0 ] || die "radosgw, ceph-mon and ceph-osd are not installed; run as root or: apt-get install --no-install-recommends radosgw ceph-mon ceph-osd"
  local t0=$SECONDS
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends radosgw ceph-mon ceph-osd >/dev/null 2>&1 \
    || die "apt-get install radosgw ceph-mon ceph-osd failed"
  echo "ceph-s3: installed radosgw ceph-mon ceph-osd in $((SECONDS - t0)) s" >&2
}

start() {
  install_packages
  local timeout=${CEPH_S3_START_TIMEOUT:-90} t0=$SECONDS
  local dir; dir=$(mktemp -d "${TMPDIR:-/tmp}/target-s3-ceph.XXXXXX")
  local mon_port rgw_port fsid osd_uuid ak sk
  mon_port=$(free_port); rgw_port=$(free_port)
  while [ "$rgw_port" = "$mon_port" ]; do rgw_port=$(free_port); done
  ak=$(random_text 'A-Z0-9' 20); sk=$(random_text 'A-Za-z0-9' 40)
  fsid=$(cat /proc/sys/kernel/random/uuid); osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  mkdir -p "$dir"/{mon.a,osd.0,run,log}
  cat >"$dir/ceph.conf" <<CONF
[global]
fsid = $fsid
mon_host = v2:127.0.0.1:$mon_port
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
ms_mon_client_mode = crc
run_dir = $dir/run
pid_file = $dir/run/\$name.pid
admin_socket = $dir/run/\$name.asok
log_file = $dir/log/\$name.log
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 1
osd_pool_default_pgp_num = 1
paxos_propose_interval = 0.01
paxos_min_wait = 0.001
osd_pool_default_pg_autoscale_mode = off
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
mon_max_pg_per_osd = 1000
mon_data_avail_crit = 0
osd_crush_chooseleaf_type = 0
[mon]
mon_data = $dir/mon.\$id
[osd]
osd_data = $dir/osd.\$id
osd_objectstore = memstore
memstore_device_bytes = 2147483648
[client.rgw.a]
rgw_frontends = beast endpoint=127.0.0.1:$rgw_port
rgw_data = $dir/rgw
rgw_crypt_require_ssl = false
CONF
  export CEPH_CONF="$dir/ceph.conf"
  fail() {
    echo "ceph-s3: $1 (after $((SECONDS - t0)) s; folder $dir)" >&2
    for f in "$dir"/log/*.log; do [ -f "$f" ] && { echo "--- ${f##*/}" >&2; tail -n 15 "$f" >&2; }; done
    stop_dir "$dir"; rm -rf "$dir"; exit 1
  }
  # `timeout` bounds each step that talks to the mon: a cluster that never forms must not hang the caller.
  left() { local l=$((timeout - (SECONDS - t0))); [ "$l" -gt 0 ] || fail "the start took longer than $timeout s"; echo "$l"; }
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$dir/monmap" >/dev/null || fail "monmaptool failed"
  ceph-mon --mkfs -i a --monmap "$dir/monmap" >/dev/null 2>&1 || fail "ceph-mon --mkfs failed"
  ceph-mon -i a || fail "ceph-mon did not start"
  timeout "$(left)" ceph osd new "$osd_uuid" >/dev/null 2>&1 || fail "ceph osd new failed"
  ceph-osd -i 0 --mkfs --osd-uuid "$osd_uuid" >/dev/null 2>&1 || fail "ceph-osd --mkfs failed"
  ceph-osd -i 0 >/dev/null 2>&1 || fail "ceph-osd did not start"
  radosgw -n client.rgw.a >/dev/null 2>&1 || fail "radosgw did not start"
  timeout "$(left)" radosgw-admin user create --uid=target-s3-test --display-name=target-s3-test \
    --access-key="$ak" --secret-key="$sk" >/dev/null 2>&1 || fail "radosgw-admin user create failed"
  until curl -sf -o /dev/null "http://127.0.0.1:$rgw_port/"; do left >/dev/null; sleep 0.2; done
  cat >"$dir/env" <<ENV
CEPH_S3_DIR=$dir
CEPH_S3_ENDPOINT=http://127.0.0.1:$rgw_port
CEPH_S3_ACCESS_KEY_ID=$ak
CEPH_S3_SECRET_ACCESS_KEY=$sk
ENV
  cat "$dir/env"
  echo "ceph-s3: RADOS Gateway answering on 127.0.0.1:$rgw_port after $((SECONDS - t0)) s" >&2
}

case "${1:-}" in
  install) install_packages ;;
  start) start ;;
  stop)
    [ -n "${2:-}" ] || die "usage: scripts/ceph-s3.sh stop DIR (the CEPH_S3_DIR that start printed)"
    case "$2" in */target-s3-ceph.*) ;; *) die "refusing to stop $2: not a folder scripts/ceph-s3.sh start made" ;; esac
    stop_dir "$2"; rm -rf "$2" ;;
  *) die "usage: scripts/ceph-s3.sh install | start | stop DIR" ;;
esac
