#!/usr/bin/env bash
# The load benchmark of `leaselint serve` (SPEC §11, "Speed"): p99 latency at most 5 ms at
# 2,000 requests/s over TLS with keep-alive on loopback, for an 8 KB Deployment AdmissionReview,
# measured with a real HTTP load generator (oha); memory flat over a 10-minute soak.
#
#   bench/webhook.sh            # build, then 60 s at 2,000 req/s on /validate, then on /mutate
#   bench/webhook.sh --soak     # the same, then 10 min at 1,000 req/s on /validate, RSS every 10 s
#   bench/webhook.sh --soak-only
#
# Options: --duration 60 (seconds per endpoint), --rate 2000, --connections 16, --soak-duration 600,
# --soak-rate 1000, --rsa (an RSA 2048 certificate instead of ECDSA P-256), --no-build,
# --keep DIR (keep the review, certificate, oha JSON and server log in DIR).
# Needs: cargo, python3, openssl, curl. oha is installed into target/oha when missing
# (`cargo install oha --locked --root target/oha`); OHA=/path/to/oha uses another one.
# Run it by hand on a quiet machine: the load generator runs on the same cores as the server.
# Markdown on stdout; progress on stderr.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

DURATION=60
RATE=2000
CONNECTIONS=16
SOAK=0
LOAD=1
SOAK_DURATION=600
SOAK_RATE=1000
SAMPLE_EVERY=10
KEY=ecdsa
BUILD=1
KEEP=
while [ $# -gt 0 ]; do
    case "$1" in
        --soak) SOAK=1 ;;
        --soak-only) SOAK=1; LOAD=0 ;;
        --duration) DURATION=$2; shift ;;
        --rate) RATE=$2; shift ;;
        --connections) CONNECTIONS=$2; shift ;;
        --soak-duration) SOAK_DURATION=$2; shift ;;
        --soak-rate) SOAK_RATE=$2; shift ;;
        --rsa) KEY=rsa ;;
        --no-build) BUILD=0 ;;
        --keep) KEEP=$2; shift ;;
        -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "webhook.sh: unknown option $1 (--help)" >&2; exit 2 ;;
    esac
    shift
done

say() { echo "webhook.sh: $*" >&2; }
die() { say "$*"; exit 1; }
for tool in python3 openssl curl cargo; do
    command -v "$tool" >/dev/null || die "needs $tool"
done

if [ -n "$KEEP" ]; then
    mkdir -p "$KEEP"
    WORK=$(cd "$KEEP" && pwd)
else
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/leaselint-webhook-bench.XXXXXX")
fi
SERVER_PID=
LOAD_PID=
cleanup() {
    # Only what this script started, by its process id.
    if [ -n "$LOAD_PID" ] && kill -0 "$LOAD_PID" 2>/dev/null; then
        kill "$LOAD_PID" 2>/dev/null || true
        wait "$LOAD_PID" 2>/dev/null || true
    fi
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    [ -n "$KEEP" ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the server and the load generator -----------------------------------------------------
if [ "$BUILD" = 1 ]; then
    say "cargo build --release"
    cargo build --release >&2
fi
LEASELINT=$ROOT/target/release/leaselint
[ -x "$LEASELINT" ] || die "no $LEASELINT: build it (cargo build --release)"

if [ -z "${OHA:-}" ]; then
    OHA=$ROOT/target/oha/bin/oha
    if [ ! -x "$OHA" ]; then
        say "installing oha into target/oha (cargo install oha --locked --root target/oha)"
        cargo install oha --locked --root "$ROOT/target/oha" >&2
    fi
fi
[ -x "$OHA" ] || die "no oha at $OHA"
OHA_VERSION=$("$OHA" --version | head -1)

# --- the certificate ------------------------------------------------------------------------
# ECDSA P-256 by default: the key deploy/'s cert-manager Certificate asks for (PKCS#8). --rsa
# for RSA 2048 (a costlier handshake; with keep-alive there are only --connections handshakes).
CERT_SUBJ=(-days 1 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1)
if [ "$KEY" = rsa ]; then
    CERT_CMD=(openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/tls.key" -out "$WORK/tls.crt" "${CERT_SUBJ[@]}")
    KEY_NAME="RSA 2048"
else
    CERT_CMD=(openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes
              -keyout "$WORK/tls.key" -out "$WORK/tls.crt" "${CERT_SUBJ[@]}")
    KEY_NAME="ECDSA P-256"
fi
"${CERT_CMD[@]}" 2>/dev/null

# --- the 8 KB Deployment AdmissionReview ----------------------------------------------------
REVIEW=$WORK/review.json
python3 - "$REVIEW" <<'PY'
"""An admission.k8s.io/v1 AdmissionReview of a CREATE of a realistic apps/v1 Deployment in
namespace `web` (an init container and three containers with env, resources, probes, mounts;
volumes, labels, annotations, affinity, spread), as the API server sends it (compact JSON),
padded to exactly 8,192 bytes with more application settings, a longer change-cause and as many
digits of the commit annotation as it takes."""
import json
import sys

TARGET = 8192
GIT_COMMIT = "e83c5163316f89bfbde7d9ab23ca2e25604af290"


def env(name, value):
    return {"name": name, "value": value}


def field(name, path):
    return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}}


def secret(name, secret_name, key):
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret_name, "key": key}}}


def deployment(extra_env, commit_digits=7):
    labels = {
        "app.kubernetes.io/name": "storefront",
        "app.kubernetes.io/instance": "storefront-prod",
        "app.kubernetes.io/version": "4.18.2",
        "app.kubernetes.io/component": "web",
        "app.kubernetes.io/part-of": "shop",
        "app.kubernetes.io/managed-by": "Helm",
        "helm.sh/chart": "storefront-4.18.2",
        "team": "checkout",
    }
    selector = {"app.kubernetes.io/name": "storefront", "app.kubernetes.io/instance": "storefront-prod"}
    app = {
        "name": "storefront",
        "image": "registry.example.com/shop/storefront:4.18.2",
        "imagePullPolicy": "IfNotPresent",
        "args": ["--config=/etc/storefront/config.yaml", "--http-addr=$(HTTP_ADDR)", "--grpc-addr=$(GRPC_ADDR)"],
        "ports": [
            {"name": "http", "containerPort": 8080, "protocol": "TCP"},
            {"name": "grpc", "containerPort": 9000, "protocol": "TCP"},
            {"name": "metrics", "containerPort": 9090, "protocol": "TCP"},
        ],
        "env": [
            field("POD_NAME", "metadata.name"),
            field("POD_NAMESPACE", "metadata.namespace"),
            field("NODE_NAME", "spec.nodeName"),
            {"name": "GOMEMLIMIT", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1"}}},
            env("HTTP_ADDR", ":8080"), env("GRPC_ADDR", ":9000"), env("METRICS_ADDR", ":9090"),
            env("LOG_LEVEL", "info"), env("LOG_FORMAT", "json"),
            env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel-collector.observability.svc:4317"),
            env("OTEL_SERVICE_NAME", "storefront"),
            env("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=production,service.namespace=shop"),
            secret("DATABASE_URL", "storefront-db", "url"),
            secret("REDIS_PASSWORD", "storefront-redis", "password"),
        ] + extra_env,
        "envFrom": [{"configMapRef": {"name": "storefront-env"}}],
        "resources": {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"cpu": "2", "memory": "1Gi"}},
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": "http"}, "periodSeconds": 5, "timeoutSeconds": 2,
                           "successThreshold": 1, "failureThreshold": 3},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "initialDelaySeconds": 10,
                          "periodSeconds": 10, "timeoutSeconds": 3, "failureThreshold": 6},
        "lifecycle": {"preStop": {"exec": {"command": ["/bin/sh", "-c", "sleep 10"]}}},
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
                            "runAsUser": 10001, "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": [
            {"name": "config", "mountPath": "/etc/storefront", "readOnly": True},
            {"name": "tls", "mountPath": "/etc/tls", "readOnly": True},
            {"name": "tmp", "mountPath": "/tmp"},
            {"name": "cache", "mountPath": "/var/cache/storefront"},
        ],
    }
    proxy = {
        "name": "envoy",
        "image": "envoyproxy/envoy:v1.31.2",
        "args": ["-c", "/etc/envoy/envoy.yaml", "--service-cluster", "storefront", "--service-node", "$(POD_NAME)",
                 "--log-level", "warn", "--drain-time-s", "20"],
        "env": [field("POD_NAME", "metadata.name"), env("ENVOY_UID", "0"), env("ENVOY_ADMIN_ADDR", "127.0.0.1:9901")],
        "ports": [{"name": "https", "containerPort": 8443, "protocol": "TCP"},
                  {"name": "envoy-admin", "containerPort": 9901, "protocol": "TCP"}],
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "256Mi"}},
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 9901}, "periodSeconds": 5},
        "livenessProbe": {"tcpSocket": {"port": "https"}, "initialDelaySeconds": 5, "periodSeconds": 10},
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}},
        "volumeMounts": [{"name": "envoy-config", "mountPath": "/etc/envoy", "readOnly": True},
                         {"name": "tls", "mountPath": "/etc/tls", "readOnly": True}],
    }
    shipper = {
        "name": "log-shipper",
        "image": "fluent/fluent-bit:3.1.9",
        "args": ["--config=/fluent-bit/etc/fluent-bit.yaml"],
        "env": [env("FLB_LOG_LEVEL", "warn"),
                env("LOKI_URL", "http://loki-gateway.observability.svc:80/loki/api/v1/push"),
                field("NODE_NAME", "spec.nodeName")],
        "resources": {"requests": {"cpu": "20m", "memory": "32Mi"}, "limits": {"memory": "64Mi"}},
        "volumeMounts": [{"name": "fluent-bit-config", "mountPath": "/fluent-bit/etc", "readOnly": True},
                         {"name": "app-logs", "mountPath": "/var/log/storefront", "readOnly": True}],
    }
    migrate = {
        "name": "migrate",
        "image": "registry.example.com/shop/storefront-migrate:4.18.2",
        "command": ["/usr/local/bin/migrate", "up", "--timeout=120s"],
        "env": [secret("DATABASE_URL", "storefront-db", "url")],
        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "128Mi"}},
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "storefront",
            "namespace": "web",
            "labels": labels,
            "annotations": {
                "meta.helm.sh/release-name": "storefront-prod",
                "meta.helm.sh/release-namespace": "web",
                "deployment.kubernetes.io/revision": "42",
                "kubernetes.io/change-cause": "helm upgrade storefront-prod shop/storefront --version 4.18.2",
                "app.example.com/owner": "checkout-team@example.com",
                "app.example.com/git-commit": GIT_COMMIT[:commit_digits],
                "argocd.argoproj.io/sync-wave": "2",
            },
        },
        "spec": {
            "replicas": 6,
            "revisionHistoryLimit": 5,
            "progressDeadlineSeconds": 600,
            "selector": {"matchLabels": selector},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
            "template": {
                "metadata": {
                    "labels": dict(labels),
                    "annotations": {
                        "prometheus.io/scrape": "true", "prometheus.io/port": "9090", "prometheus.io/path": "/metrics",
                        "checksum/config": "9b2f6d1c0e8a4b7f3d5c1e9a7b3f5d1c0e8a4b7f3d5c1e9a7b3f5d1c0e8a4b7f",
                        "kubectl.kubernetes.io/default-container": "storefront",
                    },
                },
                "spec": {
                    "serviceAccountName": "storefront",
                    "priorityClassName": "web-critical",
                    "terminationGracePeriodSeconds": 45,
                    "securityContext": {"fsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
                    "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
                        "weight": 100, "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname",
                                                           "labelSelector": {"matchLabels": selector}}}]}},
                    "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                                                   "whenUnsatisfiable": "ScheduleAnyway",
                                                   "labelSelector": {"matchLabels": selector}}],
                    "tolerations": [{"key": "workload", "operator": "Equal", "value": "web", "effect": "NoSchedule"}],
                    "initContainers": [migrate],
                    "containers": [app, proxy, shipper],
                    "volumes": [
                        {"name": "config", "configMap": {"name": "storefront-config"}},
                        {"name": "envoy-config", "configMap": {"name": "storefront-envoy", "defaultMode": 420}},
                        {"name": "fluent-bit-config", "configMap": {"name": "storefront-fluent-bit"}},
                        {"name": "tls", "secret": {"secretName": "storefront-tls", "defaultMode": 288}},
                        {"name": "tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}},
                        {"name": "cache", "emptyDir": {"sizeLimit": "1Gi"}},
                        {"name": "app-logs", "emptyDir": {}},
                    ],
                },
            },
        },
    }


# Application settings added to the main container, in order, while the review stays under TARGET.
SETTINGS = [
    ("REDIS_ADDR", "redis-master.web.svc.cluster.local:6379"),
    ("CATALOG_URL", "http://catalog.shop.svc.cluster.local:8080"),
    ("CART_URL", "http://cart.shop.svc.cluster.local:8080"),
    ("PAYMENTS_URL", "https://payments.shop.svc.cluster.local:8443"),
    ("SESSION_TTL", "30m"), ("FEATURE_FLAGS_URL", "http://flagd.platform.svc:8013"),
    ("CHECKOUT_TIMEOUT", "8s"), ("CATALOG_CACHE_TTL", "5m"), ("CATALOG_CACHE_SIZE", "20000"),
    ("CART_MAX_ITEMS", "200"), ("SEARCH_URL", "http://search.shop.svc.cluster.local:9200"),
    ("CURRENCY_DEFAULT", "EUR"), ("SUPPORTED_LOCALES", "en-GB,de-DE,fr-FR,nl-NL,es-ES,it-IT"),
    ("RATE_LIMIT_RPS", "300"), ("RATE_LIMIT_BURST", "600"), ("DB_MAX_OPEN_CONNS", "40"),
    ("DB_MAX_IDLE_CONNS", "10"), ("HTTP_READ_TIMEOUT", "15s"), ("HTTP_WRITE_TIMEOUT", "30s"),
]
# Clauses of the change-cause, whole ones only.
CLAUSES = ["app 4.18.2", "change CHG-20931", "canary 10% for 30 min", "then 100%", "on call: checkout-primary",
           "rollback: helm rollback storefront-prod 41"]


def review(obj):
    return {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
            "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
            "resource": {"group": "apps", "version": "v1", "resource": "deployments"},
            "requestKind": {"group": "apps", "version": "v1", "kind": "Deployment"},
            "requestResource": {"group": "apps", "version": "v1", "resource": "deployments"},
            "name": "storefront",
            "namespace": "web",
            "operation": "CREATE",
            "userInfo": {
                "username": "system:serviceaccount:argocd:argocd-application-controller",
                "uid": "0d4b5f0e-8c53-4f7e-9b3c-4a1f2d6e7c81",
                "groups": ["system:serviceaccounts", "system:serviceaccounts:argocd", "system:authenticated"],
            },
            "object": obj,
            "oldObject": None,
            "dryRun": False,
            "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions", "fieldManager": "argocd-controller"},
        },
    }


def encode(obj):
    return json.dumps(review(obj), separators=(",", ":")).encode()


extra = []
for name, value in SETTINGS:
    if len(encode(deployment(extra + [env(name, value)]))) > TARGET - 40:
        break
    extra.append(env(name, value))
obj = deployment(extra)
annotations = obj["metadata"]["annotations"]
cause = annotations["kubernetes.io/change-cause"]
for n in range(len(CLAUSES), -1, -1):
    annotations["kubernetes.io/change-cause"] = "; ".join([cause] + CLAUSES[:n])
    gap = TARGET - len(encode(obj))
    if 0 <= gap <= len(GIT_COMMIT) - 7:
        break
else:
    sys.exit(f"cannot pad the review to {TARGET} bytes")
annotations["app.example.com/git-commit"] = GIT_COMMIT[:7 + gap]
body = encode(obj)
assert len(body) == TARGET, len(body)
with open(sys.argv[1], "wb") as f:
    f.write(body)
PY
REVIEW_BYTES=$(wc -c <"$REVIEW")
say "review: $REVIEW_BYTES bytes (apps/v1 Deployment web/storefront, CREATE)"

# --- helpers --------------------------------------------------------------------------------
CLK_TCK=$(getconf CLK_TCK)
CORES=$(nproc)
# utime + stime of a process, clock ticks (fields 14 and 15 of /proc/PID/stat, after the
# parenthesised command name).
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
now() { date +%s.%N; }

SERVER_CMD=("$LEASELINT" --no-config serve --addr 127.0.0.1:0 --metrics-addr 127.0.0.1:0
            --tls-cert "$WORK/tls.crt" --tls-key "$WORK/tls.key")
start_server() {
    : >"$WORK/server.log"
    "${SERVER_CMD[@]}" 2>"$WORK/server.log" &
    SERVER_PID=$!
    local line=
    for _ in $(seq 100); do
        line=$(grep -m1 'webhook on https://' "$WORK/server.log" || true)
        [ -n "$line" ] && break
        kill -0 "$SERVER_PID" 2>/dev/null || die "the server stopped: $(cat "$WORK/server.log")"
        sleep 0.1
    done
    [ -n "$line" ] || die "the server did not start within 10 s: $(cat "$WORK/server.log")"
    WEBHOOK=$(sed -E 's|.*webhook on (https://[0-9.:]+).*|\1|' <<<"$line")
    METRICS=$(sed -E 's|.*metrics on (http://[0-9.:]+).*|\1|' <<<"$line")
    say "server pid $SERVER_PID: $WEBHOOK, metrics $METRICS"
}
stop_server() {
    kill -TERM "$SERVER_PID"
    local rc=0
    wait "$SERVER_PID" || rc=$?
    SERVER_PID=
    [ "$rc" = 0 ] || say "the server exited with $rc after SIGTERM"
}

# One answer, checked: 200, the request's uid, allowed; the warnings and whether a patch came.
check_endpoint() {
    local path=$1 out=$WORK/answer-$1.json code
    code=$(curl -sk -o "$out" -w '%{http_code}' -H 'Content-Type: application/json' \
        --data-binary "@$REVIEW" "$WEBHOOK/$path")
    [ "$code" = 200 ] || die "POST /$path answered $code: $(head -c 500 "$out")"
    python3 - "$out" "$path" <<'PY' >&2
import base64, json, sys
answer = json.load(open(sys.argv[1]))
r = answer["response"]
assert r["uid"] == "705ab4f5-6393-11e8-b7cc-42010a800002", r["uid"]
patch = json.loads(base64.b64decode(r["patch"])) if r.get("patch") else []
print(f"webhook.sh: /{sys.argv[2]}: allowed={r['allowed']}, {len(r.get('warnings') or [])} warnings, "
      f"{len(patch)} patch operations, answer {len(open(sys.argv[1], 'rb').read())} bytes")
for w in r.get("warnings") or []:
    print(f"webhook.sh:   {w[:110]}")
for op in patch:
    print(f"webhook.sh:   {op['op']} {op['path']}")
PY
}

# The server's own latency histogram for one endpoint: "le count" lines, cumulative.
histogram() {
    curl -s "$METRICS/metrics" | awk -v ep="$1" '
        $1 ~ /^leaselint_admission_request_duration_seconds_bucket/ && index($1, "endpoint=\"" ep "\"") {
            match($1, /le="[^"]*"/); le = substr($1, RSTART + 4, RLENGTH - 5); print le, $2 }'
}

# oha at a fixed rate: $1 path, $2 seconds, $3 rate, $4 JSON output. Prints the command.
OHA_FLAGS=(--no-tui --output-format json -w -c "$CONNECTIONS" -m POST -D "$REVIEW"
           -H 'Content-Type: application/json' --insecure --latency-correction)
oha_cmd() {
    local cmd
    printf -v cmd '%q ' "$OHA" -z "$2s" -q "$3" "${OHA_FLAGS[@]}" "$WEBHOOK/$1"
    echo "${cmd% }"
}
run_oha() {
    "$OHA" -z "$2s" -q "$3" "${OHA_FLAGS[@]}" "$WEBHOOK/$1" >"$4"
}

# One measured run: warm-up, then $DURATION s at $RATE with CPU, server histogram and load.
declare -A ROW
measure() {
    local path=$1 json=$WORK/oha-$1.json
    say "/$path: warm-up 5 s at $RATE req/s"
    run_oha "$path" 5 "$RATE" "$WORK/warmup-$path.json"
    histogram "$path" >"$WORK/hist-before-$path"
    local load_before t0 c0 t1 c1 load_after
    load_before=$(loadavg)
    say "/$path: $DURATION s at $RATE req/s, $CONNECTIONS connections (load average $load_before)"
    t0=$(now); c0=$(cpu_ticks "$SERVER_PID")
    # oha's own CPU too, when GNU time is there: it shares the cores with the server.
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f '%U %S' -o "$WORK/oha-time-$path" "$OHA" -z "${DURATION}s" -q "$RATE" "${OHA_FLAGS[@]}" \
            "$WEBHOOK/$path" >"$json"
    else
        run_oha "$path" "$DURATION" "$RATE" "$json"
    fi
    t1=$(now); c1=$(cpu_ticks "$SERVER_PID")
    load_after=$(loadavg)
    histogram "$path" >"$WORK/hist-after-$path"
    ROW[$path]=$(python3 - "$json" "$WORK/hist-before-$path" "$WORK/hist-after-$path" "$t0" "$t1" "$c0" "$c1" \
        "$CLK_TCK" "$CORES" "$WORK/oha-time-$path" "$load_before" "$load_after" <<'PY'
import json, sys
(json_path, hb, ha, t0, t1, c0, c1, tck, cores, oha_time, load_before, load_after) = sys.argv[1:]
o = json.load(open(json_path))
s, p = o["summary"], o["latencyPercentiles"]
codes = {str(k): v for k, v in (o.get("statusCodeDistribution") or {}).items()}
errors = sum((o.get("errorDistribution") or {}).values())
total = sum(codes.values()) + errors
ok = codes.get("200", 0)
wall = float(t1) - float(t0)
cpu = (int(c1) - int(c0)) / int(tck)
def hist(path):
    return [(float(le), float(n)) for le, n in (l.split() for l in open(path))]
before, after = hist(hb), hist(ha)
delta = [(le, a - b) for (le, a), (_, b) in zip(after, before)] if before else hist(ha)
n = delta[-1][1] if delta else 0
def server_q(q):
    for le, c in delta:
        if n and c >= q * n:
            return "≤ %g ms" % (le * 1000) if le != float("inf") else "> %g ms" % (delta[-2][0] * 1000)
    return "?"
try:
    u, st = open(oha_time).read().split()[-2:]
    oha_cpu = "%.0f %%" % ((float(u) + float(st)) / wall * 100)
except (OSError, ValueError):
    oha_cpu = "?"
ms = lambda v: "%.2f" % (v * 1000) if v is not None else "?"
print("|".join([
    ms(p.get("p50")), ms(p.get("p99")), ms(p.get("p99.9")), ms(s.get("slowest")),
    "%.0f" % s.get("requestsPerSec", 0), "%d / %d" % (ok, total), "%d" % (total - ok),
    "%.1f s (%.0f %% of a core, %.0f %% of %s cores)" % (cpu, cpu / wall * 100, cpu / wall * 100 / int(cores), cores),
    "%.2f" % (cpu / total * 1000 if total else 0), oha_cpu, server_q(0.5), server_q(0.99), "%s → %s" % (load_before, load_after),
]))
print("webhook.sh: %s: p50 %s ms, p99 %s ms, p99.9 %s ms, %d/%d answered 200, server CPU %.1f s in %.1f s"
      % (json_path, ms(p.get("p50")), ms(p.get("p99")), ms(p.get("p99.9")), ok, total, cpu, wall), file=sys.stderr)
PY
)
}

# --- the load runs --------------------------------------------------------------------------
TS=$(date -u +%Y-%m-%dT%H:%MZ)
start_server
check_endpoint validate
check_endpoint mutate
echo "## leaselint serve under load ($TS)"
echo
echo "Machine: $CORES cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'))," \
    "$(uname -sr); commit $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?');" \
    "$OHA_VERSION. Body: $REVIEW_BYTES bytes (AdmissionReview, CREATE apps/v1 Deployment web/storefront)." \
    "Certificate: $KEY_NAME, self-signed."
echo
echo "Server: \`${SERVER_CMD[*]}\`"
echo
echo "Certificate: \`${CERT_CMD[*]}\`"
echo
if [ "$LOAD" = 1 ]; then
    measure validate
    measure mutate
    echo "### $DURATION s at $RATE requests/s, TLS, keep-alive, $CONNECTIONS connections, loopback"
    echo
    echo "| endpoint | p50 ms | p99 ms | p99.9 ms | max ms | achieved req/s | 200 / sent | not 200 | server CPU (user+sys) | server CPU ms per request | oha CPU | server p50 (histogram) | server p99 (histogram) | load average before → after |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    for path in validate mutate; do
        echo "| /$path | ${ROW[$path]//|/ | } |"
    done
    echo
    for path in validate mutate; do
        achieved=$(cut -d'|' -f5 <<<"${ROW[$path]}")
        if [ "$achieved" -lt $((RATE * 95 / 100)) ]; then
            echo "/$path is saturated: it answered $achieved of the $RATE requests/s asked, so requests queue"
            echo "and their latency (counted from when each was due) grows with the backlog for the whole run."
            echo
        fi
    done
    echo "Target (SPEC §11): p99 ≤ 5 ms. Latency as oha reports it with \`--latency-correction\` (from"
    echo "the moment the request was due, so a stall counts against every request it delayed); the"
    echo "server histogram column is \`leaselint_admission_request_duration_seconds\` (body read to"
    echo "answer, without TLS and scheduling), its bucket bound. Each run follows a 5 s warm-up."
    echo
    echo "Commands:"
    echo
    for path in validate mutate; do echo "    $(oha_cmd "$path" "$DURATION" "$RATE")"; done
    echo
fi

# --- the soak -------------------------------------------------------------------------------
if [ "$SOAK" = 1 ]; then
    # A fresh server, so that the samples start from its first request.
    stop_server
    start_server
    samples=$WORK/rss.tsv
    : >"$samples"
    soak_load_before=$(loadavg)
    say "soak: $SOAK_DURATION s at $SOAK_RATE req/s on /validate, RSS every $SAMPLE_EVERY s (load average $soak_load_before)"
    c0=$(cpu_ticks "$SERVER_PID"); t0=$(now)
    run_oha validate "$SOAK_DURATION" "$SOAK_RATE" "$WORK/oha-soak.json" &
    LOAD_PID=$!
    start=$(date +%s)
    for ((t = 0; t <= SOAK_DURATION; t += SAMPLE_EVERY)); do
        # Sample on the schedule, not after it: sleep until start + t.
        wait_s=$(( start + t - $(date +%s) ))
        [ "$wait_s" -gt 0 ] && sleep "$wait_s"
        printf '%s\t%s\t%s\n' "$t" "$(rss_kb "$SERVER_PID")" "$(cut -d' ' -f1 /proc/loadavg)" >>"$samples"
        [ $((t % 60)) = 0 ] && say "soak: t=$t s RSS $(tail -1 "$samples" | cut -f2) kB"
    done
    wait "$LOAD_PID" || die "oha failed during the soak"
    LOAD_PID=
    t1=$(now); c1=$(cpu_ticks "$SERVER_PID")
    soak_load_after=$(loadavg)
    echo "### Soak: $SOAK_DURATION s at $SOAK_RATE requests/s on /validate"
    echo
    echo "Command: \`$(oha_cmd validate "$SOAK_DURATION" "$SOAK_RATE")\`, with the server's VmRSS"
    echo "(/proc/PID/status) sampled every $SAMPLE_EVERY s from the start of the load. Load average"
    echo "$soak_load_before → $soak_load_after."
    echo
    python3 - "$samples" "$WORK/oha-soak.json" "$t0" "$t1" "$c0" "$c1" "$CLK_TCK" "$CORES" <<'PY'
import json, sys
samples_path, json_path, t0, t1, c0, c1, tck, cores = sys.argv[1:]
rows = [l.split() for l in open(samples_path) if l.strip()]
samples = [(int(r[0]), int(r[1])) for r in rows]
loads = [r[2] for r in rows]
o = json.load(open(json_path))
s, p = o["summary"], o["latencyPercentiles"]
codes = {str(k): v for k, v in (o.get("statusCodeDistribution") or {}).items()}
errors = sum((o.get("errorDistribution") or {}).values())
total = sum(codes.values()) + errors
wall = float(t1) - float(t0)
cpu = (int(c1) - int(c0)) / int(tck)
end = samples[-1][0]
# Warm-up: the first minute (on a soak shorter than 2 minutes: the first interval); the end: the
# last minute (on a short soak: its second half).
warm, window = (60, 60) if end >= 120 else (samples[1][0] if len(samples) > 1 else 0, end / 2)
base = next(kb for t, kb in samples if t >= warm)
last = [kb for t, kb in samples if t >= end - window]
peak = max(last)
growth = (peak - base) / base * 100
print("| t (s) | " + " | ".join(str(t) for t, _ in samples[:31]) + " |")
print("| --- | " + " | ".join("---" for _ in samples[:31]) + " |")
print("| RSS (MiB) | " + " | ".join("%.1f" % (kb / 1024) for _, kb in samples[:31]) + " |")
print("| load (1 min) | " + " | ".join(loads[:31]) + " |")
if len(samples) > 31:
    print()
    print("| t (s) | " + " | ".join(str(t) for t, _ in samples[31:]) + " |")
    print("| --- | " + " | ".join("---" for _ in samples[31:]) + " |")
    print("| RSS (MiB) | " + " | ".join("%.1f" % (kb / 1024) for _, kb in samples[31:]) + " |")
    print("| load (1 min) | " + " | ".join(loads[31:]) + " |")
print()
verdict = "flat" if growth <= 10 else "NOT flat"
print("Verdict: **%s** — the highest sample of the end (t ≥ %d s: %.1f MiB) is %+.1f %% of the"
      " sample at t = %d s, after warm-up (%.1f MiB); flat means at most +10 %%. Range over the whole soak:"
      " %.1f–%.1f MiB." % (verdict, end - window, peak / 1024, growth, warm, base / 1024,
                          min(kb for _, kb in samples) / 1024, max(kb for _, kb in samples) / 1024))
print()
print("During the soak: p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms; %.0f req/s; %d / %d answered 200;"
      " server CPU %.1f s (%.0f %% of a core, %.0f %% of %s cores)."
      % (p["p50"] * 1000, p["p99"] * 1000, p["p99.9"] * 1000, s["slowest"] * 1000, s["requestsPerSec"],
         codes.get("200", 0), total, cpu, cpu / wall * 100, cpu / wall * 100 / int(cores), cores))
PY
    echo
fi
stop_server
say "done; the server was stopped by its pid"
