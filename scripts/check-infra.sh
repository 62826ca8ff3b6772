#!/usr/bin/env bash
# The deployment files, checked by the programs that read them (docs/adr/0121):
# - infra/k8s: every object valid against the Kubernetes API schemas (infra/check, run on the
#   image's Node LTS: kubernetes-models needs Node >= 22);
# - infra/haproxy/haproxy.cfg: `haproxy -c`; infra/nginx.conf: `nginx -t` (Debian's nginx-light).
# Both proxies resolve their servers' names (portal-a, portal-b: compose's or the cluster's) when
# they read the file, so the check runs in a mount namespace of its own whose /etc/hosts maps them
# to loopback; HAProxy's TLS certificate is a throwaway self-signed one put where the file says.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

echo "--- Kubernetes manifests"
PATH="$(scripts/node-lts.sh):$PATH"
export PATH
# Installed once per clone (CI's is fresh), with that node's engine check.
[ -d infra/check/node_modules/kubernetes-models ] || npm ci --prefix infra/check --no-audit --no-fund --silent
node infra/check/validate-k8s.mjs infra/k8s

echo "--- haproxy -c, nginx -t"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mapfile -t names < <(sed -nE 's/^\s*server\s+\S+\s+([A-Za-z][A-Za-z0-9.-]*):[0-9]+.*/\1/p' infra/haproxy/haproxy.cfg infra/nginx.conf | sort -u)
{ echo "127.0.0.1 localhost"; for n in "${names[@]}"; do echo "127.0.0.1 $n"; done; } > "$tmp/hosts"
crt=$(sed -nE 's/.*\bcrt\s+(\S+).*/\1/p' infra/haproxy/haproxy.cfg | head -1)
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=e-mage.example.org -days 1 \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
cat "$tmp/cert.pem" "$tmp/key.pem" > "$tmp/e-mage.pem"
# nginx.conf is a server block (compose mounts it in conf.d): the main file around it is nginx's.
cat > "$tmp/nginx-main.conf" <<NGINX
pid $tmp/nginx.pid;
events {}
http { include $root/infra/nginx.conf; }
NGINX
unshare --mount bash -euo pipefail -c '
  mount --bind "$1/hosts" /etc/hosts
  if [ -n "$2" ]; then
    # A tmpfs on the deepest existing folder of the certificate path (/etc/haproxy): nothing is
    # written on the machine, and the namespace ends with the check.
    top=$(dirname "$2"); while [ ! -d "$top" ]; do top=$(dirname "$top"); done
    case "$top" in /|/etc|/usr|/var) echo "refusing to cover $top for the certificate $2" >&2; exit 1;; esac
    mount -t tmpfs tmpfs "$top"; mkdir -p "$(dirname "$2")"; cp "$1/e-mage.pem" "$2"
  fi
  haproxy -c -q -f infra/haproxy/haproxy.cfg && echo "infra/haproxy/haproxy.cfg: valid"
  nginx -q -t -e stderr -p "$1" -c "$1/nginx-main.conf" && echo "infra/nginx.conf: valid"
' check "$tmp" "$crt"
