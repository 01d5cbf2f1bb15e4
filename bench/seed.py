#!/usr/bin/env python3
"""Seeds N SlackUserConnections that already hold tokens, fast: the connections are created through the API
server, the simulator mints one rotating user grant per connection (POST /_sim/grants, no consent flow), and each
grant is written as the connection's token store in the documented store format (docs/architecture.md, Secrets;
store/StoreCodec.java). The operator then finds N connections with tokens, as after a restart.

usage: seed.py --state DIR --namespace NS --count N --sim-port P [--due] [--prefix U0BENCH] [--threads 4]
  --due: the stores say the tokens were issued 12 h ago and expire in 1 min, so every one is due at once
  --unrelated N: instead, create N Secrets and N ConfigMaps (not the operator's) in NS
  --make-due: instead, make every token store of NS's connections say its token is due now (an outage ended)
  --expires-in S: the stores say the tokens expire S seconds from now (issued 12 h before that)
  --expires-between A B: each store's token expires at a random time A to B seconds from now, issued one token
    lifetime of the simulator (GET /_sim/settings) before that: connections in the middle of their cycle
"""
import argparse
import base64
import datetime
import http.client
import json
import queue
import random
import ssl
import threading
import time
import urllib.request

OPERATOR_NS = "slack-token-operator"


class Api:
    """A keep-alive HTTPS client to the API server with the e2e cluster's admin certificate."""

    def __init__(self, state):
        env = dict(line.strip().split("=", 1) for line in open(f"{state}/cluster.env") if "=" in line)
        url = env["E2E_APISERVER_URL"]
        self.host, self.port = url.removeprefix("https://").split(":")
        self.ctx = ssl.create_default_context(cafile=f"{state}/pki/ca.crt")
        self.ctx.load_cert_chain(f"{state}/pki/admin.crt", f"{state}/pki/admin.key")
        self.local = threading.local()

    def call(self, method, path, body=None):
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPSConnection(self.host, int(self.port), context=self.ctx)
        data = None if body is None else json.dumps(body).encode()
        for attempt in range(5):
            try:
                conn.request(method, path, body=data, headers={"content-type": "application/json"})
                resp = conn.getresponse()
                payload = resp.read()
                if resp.status == 429 or resp.status >= 500:
                    time.sleep(0.2 * (attempt + 1))
                    continue
                if resp.status >= 300 and resp.status != 409:
                    raise RuntimeError(f"{method} {path}: HTTP {resp.status} {payload[:300]!r}")
                return json.loads(payload) if payload else None
            except (http.client.HTTPException, OSError):
                conn.close()
                conn = self.local.conn = http.client.HTTPSConnection(self.host, int(self.port), context=self.ctx)
                time.sleep(0.2)
        raise RuntimeError(f"{method} {path}: gave up")


def parallel(items, work, threads):
    q = queue.Queue()
    for item in items:
        q.put(item)
    errors = []

    def run():
        while True:
            try:
                item = q.get_nowait()
            except queue.Empty:
                return
            try:
                work(item)
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if errors:
        raise errors[0]


def b64(value):
    return base64.b64encode(value.encode()).decode()


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--state", required=True)
    p.add_argument("--namespace", required=True)
    p.add_argument("--count", type=int, default=0)
    p.add_argument("--sim-port", type=int)
    p.add_argument("--prefix", default="U0BENCH")
    p.add_argument("--due", action="store_true")
    p.add_argument("--unrelated", type=int, default=0)
    p.add_argument("--make-due", action="store_true")
    p.add_argument("--expires-in", type=int, default=0)
    p.add_argument("--expires-between", type=int, nargs=2)
    p.add_argument("--threads", type=int, default=4)
    a = p.parse_args()
    api = Api(a.state)
    ns = a.namespace
    api.call("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    started = time.time()
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    if a.make_due:
        stores = api.call("GET", f"/api/v1/namespaces/{OPERATOR_NS}/secrets?labelSelector="
                          f"slacktokens.dev/connection-namespace%3D{ns}")["items"]

        def due(store):
            store["data"]["issued_at"] = b64(iso(now - datetime.timedelta(hours=12)))
            store["data"]["expires_at"] = b64(iso(now + datetime.timedelta(minutes=1)))
            api.call("PUT", f"/api/v1/namespaces/{OPERATOR_NS}/secrets/{store['metadata']['name']}", store)
        parallel(stores, due, a.threads)
        print(f"seed: {len(stores)} token stores of {ns} made due in {time.time() - started:.1f} s")
        return
    if a.unrelated:
        def unrelated(i):
            api.call("POST", f"/api/v1/namespaces/{ns}/secrets", {"apiVersion": "v1", "kind": "Secret",
                     "metadata": {"name": f"unrelated-{i}"}, "data": {"value": b64("x" * 64)}})
            api.call("POST", f"/api/v1/namespaces/{ns}/configmaps", {"apiVersion": "v1", "kind": "ConfigMap",
                     "metadata": {"name": f"unrelated-{i}"}, "data": {"value": "y" * 64}})
        parallel(range(a.unrelated), unrelated, a.threads)
        print(f"seed: {a.unrelated} Secrets and {a.unrelated} ConfigMaps in {ns} in {time.time() - started:.1f} s")
        return

    names = [f"c{i:06d}" for i in range(1, a.count + 1)]
    base = "/apis/slacktokens.dev/v1alpha1/namespaces/" + ns + "/slackuserconnections"
    parallel(names, lambda n: api.call("POST", base, {"apiVersion": "slacktokens.dev/v1alpha1",
             "kind": "SlackUserConnection", "metadata": {"name": n}, "spec": {"userScopes": ["chat:write"]}}),
             a.threads)
    uids = {c["metadata"]["name"]: c["metadata"]["uid"] for c in api.call("GET", base)["items"]}
    req = urllib.request.Request(f"http://localhost:{a.sim_port}/_sim/grants", method="POST",
                                 data=json.dumps({"count": a.count, "prefix": a.prefix}).encode(),
                                 headers={"content-type": "application/json"})
    grants = json.load(urllib.request.urlopen(req, timeout=600))
    issued = now - datetime.timedelta(hours=12) if a.due else now
    lifetime = datetime.timedelta(minutes=1) if a.due else datetime.timedelta(seconds=grants[0]["expires_in"])
    expires = (now + lifetime) if a.due else (issued + lifetime)
    if a.expires_in:
        expires = now + datetime.timedelta(seconds=a.expires_in)
        issued = expires - datetime.timedelta(hours=12)

    def store(pair):
        name, grant = pair
        uid = uids[name]
        expires_at, issued_at = expires, issued
        if a.expires_between:
            expires_at = now + datetime.timedelta(seconds=random.uniform(*a.expires_between))
            issued_at = expires_at - lifetime
        data = {"access_token": grant["access_token"], "refresh_token": grant["refresh_token"],
                "expires_at": iso(expires_at), "scope": grant["scope"], "user_id": grant["user_id"],
                "team_id": grant["team_id"], "app_id": grant["app_id"], "issued_at": iso(issued_at)}
        api.call("POST", f"/api/v1/namespaces/{OPERATOR_NS}/secrets", {
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": f"suc-{uid}", "labels": {
                "app.kubernetes.io/managed-by": "slack-token-operator", "slacktokens.dev/role": "token-store",
                "slacktokens.dev/connection": name, "slacktokens.dev/connection-namespace": ns,
                "slacktokens.dev/connection-uid": uid},
                "annotations": {"slacktokens.dev/connection-name": name,
                                "slacktokens.dev/authorization-generation": "1"}},
            "data": {k: b64(v) for k, v in data.items()}})

    parallel(list(zip(names, grants)), store, a.threads)
    print(f"seed: {a.count} connections with tokens in {ns} ({'all due' if a.due else 'fresh'}) in "
          f"{time.time() - started:.1f} s")


if __name__ == "__main__":
    main()
