#!/usr/bin/env python3
"""Callback handling overhead, excluding Slack's time: for each connection of a namespace, a browser opens its
authorize link, presses the confirmation button and consents at the simulator, stopping before the callback; then the
callback alone is requested, and the operator's own Micrometer timers are read just before and after it:
overhead = (server time of /oauth/callback) - (time of the operator's calls to Slack during it), both from
/q/metrics sums, one callback at a time, so each difference belongs to that callback.

usage: callbacks.py --operator URL --namespace NS --kubectl KUBECTL   (prints p50/p90/p99/max in ms)
"""
import argparse
import http.cookiejar
import json
import re
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def sums(operator):
    """(server seconds of /oauth/callback, client seconds of all outgoing calls, callbacks counted)."""
    text = urllib.request.urlopen(operator + "/q/metrics", timeout=30).read().decode()
    server = client = count = 0.0
    for line in text.splitlines():
        if line.startswith("http_server_requests_seconds_sum{") and 'uri="/oauth/callback"' in line:
            server += float(line.rsplit(" ", 1)[1])
        elif line.startswith("http_server_requests_seconds_count{") and 'uri="/oauth/callback"' in line:
            count += float(line.rsplit(" ", 1)[1])
        elif line.startswith("http_client_requests_seconds_sum{"):
            client += float(line.rsplit(" ", 1)[1])
    return server, client, count


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--operator", required=True)
    p.add_argument("--namespace", required=True)
    p.add_argument("--kubectl", required=True)
    a = p.parse_args()
    items = json.loads(subprocess.check_output([a.kubectl, "get", "suc", "-n", a.namespace, "-o", "json"]))["items"]
    overheads, totals, slack = [], [], []
    for c in items:
        link = c.get("status", {}).get("authorizeUrl")
        if not link:
            continue
        jar = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
        page = browser.open(link, timeout=30).read().decode()
        state = re.search(r'name="state" value="([^"]*)"', page).group(1)
        action = re.search(r'<form method="post" action="([^"]*)"', page).group(1)
        url = None
        try:
            browser.open(action, data=urllib.parse.urlencode({"state": state}).encode(), timeout=30)
        except urllib.error.HTTPError as e:  # 303 to Slack's authorize page
            url = e.headers["Location"]
        try:
            browser.open(url, timeout=30)
        except urllib.error.HTTPError as e:  # Slack's redirect to the callback, not followed
            url = e.headers["Location"]
        before = sums(a.operator)
        t0 = time.perf_counter()
        status = browser.open(url, timeout=30).status
        total = time.perf_counter() - t0
        after = sums(a.operator)
        for _ in range(40):  # the server records its timer as the response completes: maybe just after we read it
            if after[2] == before[2] + 1:
                break
            time.sleep(0.05)
            after = sums(a.operator)
        if status != 200 or after[2] != before[2] + 1:
            raise SystemExit(f"callback of {c['metadata']['name']}: HTTP {status}, counted {after[2] - before[2]}")
        overheads.append((after[0] - before[0]) - (after[1] - before[1]))
        slack.append(after[1] - before[1])
        totals.append(total)

    def pct(values, q):
        v = sorted(values)
        return v[min(len(v) - 1, int(round(q * (len(v) - 1))))] * 1000

    print(f"callbacks: {len(overheads)}; handling without Slack's time p50 {pct(overheads, .5):.1f} ms, "
          f"p90 {pct(overheads, .9):.1f} ms, p99 {pct(overheads, .99):.1f} ms, max {max(overheads) * 1000:.1f} ms; "
          f"its calls to Slack (the simulator) p50 {pct(slack, .5):.1f} ms; "
          f"end to end at the browser (with the simulator's answers) p50 {pct(totals, .5):.1f} ms, "
          f"p99 {pct(totals, .99):.1f} ms")


if __name__ == "__main__":
    main()
