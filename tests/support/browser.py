#!/usr/bin/env python3
"""A browser stand-in, run by tokex through $BROWSER: opens the URL it is given, follows the
redirects as a browser does (to the identity provider's authorization endpoint, then back to
tokex's loopback listener), records the final page, then tries that callback once more, which
must find nothing listening. What it saw goes to $STANDIN_LOG as JSON."""
import http.cookiejar
import json
import os
import sys
import urllib.error
import urllib.request

url = sys.argv[1]
seen = {"opened": url, "redirects": []}


class Follow(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        seen["redirects"].append(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


# Cookies kept across the redirects, as a browser keeps them (a real provider's interaction and
# session cookies).
opener = urllib.request.build_opener(
    Follow,
    urllib.request.ProxyHandler({}),
    urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
)
try:
    with opener.open(url, timeout=20) as r:
        seen["status"], seen["page"] = r.status, r.read().decode()
except urllib.error.HTTPError as e:
    seen["status"], seen["page"] = e.code, e.read().decode()
except Exception as e:  # noqa: BLE001 - recorded for the test to show
    seen["status"], seen["page"] = 0, repr(e)
callback = (seen["redirects"] or [url])[-1]
try:
    with opener.open(callback, timeout=5) as r:
        seen["second"] = r.status
except urllib.error.HTTPError as e:
    seen["second"] = e.code
except Exception as e:  # noqa: BLE001
    seen["second"] = "no listener: " + type(e).__name__
tmp = os.environ["STANDIN_LOG"] + ".tmp"
with open(tmp, "w") as f:
    json.dump(seen, f)
os.rename(tmp, os.environ["STANDIN_LOG"])
