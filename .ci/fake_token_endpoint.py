#!/usr/bin/env python3
"""A loopback OAuth2 token endpoint for CI's packaging checks: answers client-credentials
requests that carry client authentication with `static-token`, writes its port to argv[1],
and stops by itself after two minutes."""
import json, sys, threading
from http.server import BaseHTTPRequestHandler, HTTPServer
class Fake(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        ok = b"grant_type=client_credentials" in body and self.headers.get("Authorization")
        answer = json.dumps({"access_token": "static-token", "token_type": "Bearer",
                             "expires_in": 3600} if ok else {"error": "invalid_client"}).encode()
        self.send_response(200 if ok else 401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
    def log_message(self, *args):
        pass
server = HTTPServer(("127.0.0.1", 0), Fake)
open(sys.argv[1], "w").write(str(server.server_address[1]))
threading.Timer(120, server.shutdown).start()
server.serve_forever()
