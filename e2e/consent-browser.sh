#!/usr/bin/env bash
# The consent pages in a real browser: Debian's Chromium and chromedriver, driven by the JUnit class
# src/test/java/dev/slacktokens/operator/browser/ConsentBrowserE2E.java (WebDriver, Selenium), against the operator
# run as a local JVM behind https (a self-signed certificate for ops.example.test; the browser maps *.example.test to
# 127.0.0.1) with the chart's ServiceAccount, and the standalone Slack simulator. Writes the screenshots of
# docs/consent-pages.md into docs/images/consent/.
# Needs a running cluster (e2e/cluster.sh start), KUBECONFIG (admin) pointing at it, target/quarkus-app and the
# compiled test classes (./mvnw verify, or package). Ends with "N passed, N failed".
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
# shellcheck source=e2e/lib.sh
source "$here/lib.sh"
sim_port=$(free_port)
op_port=$(free_port)
# A fixed namespace: its name is on the screenshots, which must not change from run to run.
ns=payments
public="https://ops.example.test:$op_port"

for tool in chromium chromedriver; do
  command -v "$tool" >/dev/null || { fail "$tool is installed (e2e/toolchain/packages.sh)"; summary consent-browser; }
done
k delete ns "$ns" --wait=true --timeout=60s >/dev/null 2>&1 || true
local_operator_setup "$op_port" "$ns"

# The operator's certificate (and the sibling host's, for the test's own https server).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=ops.example.test \
  -addext "subjectAltName=DNS:ops.example.test,DNS:sib.example.test" -keyout "$logs/tls.key" -out "$logs/tls.crt" \
  2>/dev/null
openssl pkcs12 -export -in "$logs/tls.crt" -inkey "$logs/tls.key" -out "$logs/sib.p12" -passout pass:changeit

# https only; links valid 60 s (the expired-link page is waited for); the app's display name on the confirmation page.
start_operator "$op_port" "$public" "http://localhost:$sim_port" "$logs/operator.kubeconfig" operator \
  QUARKUS_HTTP_SSL_PORT="$op_port" QUARKUS_HTTP_PORT="$(free_port)" QUARKUS_HTTP_INSECURE_REQUESTS=disabled \
  QUARKUS_HTTP_SSL_CERTIFICATE_FILES="$logs/tls.crt" QUARKUS_HTTP_SSL_CERTIFICATE_KEY_FILES="$logs/tls.key" \
  SLACK_OPERATOR_AUTHORIZE_LINK_VALIDITY=60s SLACK_OPERATOR_SLACK_APP_DISPLAY_NAME="Deploy Bot"
up=0
for _ in $(seq 1 120); do
  curl -fsk --resolve "ops.example.test:$op_port:127.0.0.1" "$public/q/health/live" >/dev/null 2>&1 && { up=1; break; }
  sleep 0.5
done
check "the operator serves https at $public" test "$up" = 1

mkdir -p "$repo/docs/images/consent"
report="$repo/target/surefire-reports/TEST-dev.slacktokens.operator.browser.ConsentBrowserE2E.xml"
rm -f "$report"
t0=$SECONDS
# The test classes are compiled already: surefire runs the one class (offline; its name keeps it out of `verify`).
if (cd "$repo" && ./mvnw -B -ntp -o -q surefire:test -Dtest=ConsentBrowserE2E -Dsurefire.failIfNoSpecifiedTests=false \
    -Dbrowser.operator="$public" -Dbrowser.simulator="http://localhost:$sim_port" \
    -Dbrowser.namespace="$ns" -Dbrowser.kubeconfig="$KUBECONFIG" -Dbrowser.keystore="$logs/sib.p12" \
    -Dbrowser.linkValidity=60S -Dbrowser.screenshots="$repo/docs/images/consent") >"$logs/browser-test.log" 2>&1; then
  :
fi
measure_s=$((SECONDS - t0))
# One line per test method, from surefire's report.
if [ -f "$report" ]; then
  while IFS=$'\t' read -r result name detail; do
    if [ "$result" = ok ]; then ok "browser: $name"; else fail "browser: $name" "$detail"; fi
  done < <(python3 - "$report" <<'PY'
import sys, xml.etree.ElementTree as ET
for case in ET.parse(sys.argv[1]).getroot().iter("testcase"):
    bad = case.find("failure") if case.find("failure") is not None else case.find("error")
    detail = "" if bad is None else (bad.get("message") or bad.text or "")[:600].replace("\n", " ").replace("\t", " ")
    print("\t".join(["ok" if bad is None else "fail", case.get("name"), detail]))
PY
)
else
  fail "the browser test ran" "$(tail -20 "$logs/browser-test.log")"
fi
echo "measure: the browser test took ${measure_s} s (Maven, Chromium, 8 tests, ~60 s waiting for a link to expire)"
leak_scan "$ns" && ok "no token in any log, Event or status" || fail "no token in any log, Event or status"
k delete ns "$ns" --wait=false >/dev/null 2>&1 || true
summary consent-browser
