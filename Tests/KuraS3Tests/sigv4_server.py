#!/usr/bin/env python3
"""An S3-like server on loopback that checks every request's AWS Signature Version 4 strictly.

Usage: sigv4_server.py ACCESS_KEY_ID SECRET_ACCESS_KEY [SESSION_TOKEN]

It prints its port on the first line of standard output, then serves PUT/GET/DELETE of objects and ListObjectsV2
from memory for one bucket path style (`/BUCKET/KEY`). The signature is recomputed from the request as received,
following the published SigV4 rules (canonical URI of the decoded path re-encoded, canonical query sorted and
re-encoded, signed headers, payload hash checked against the body), so a client that encodes or signs anything
differently is answered 403 SignatureDoesNotMatch with the server's canonical request in the message.
"""
import hashlib
import hmac
import signal
import http.server
import sys
import urllib.parse
from xml.sax.saxutils import escape

KEY_ID, SECRET = sys.argv[1], sys.argv[2]
TOKEN = sys.argv[3] if len(sys.argv) > 3 else None
UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"
objects = {}


def aws_encode(text, keep_slash):
    out = []
    for byte in text.encode("utf-8"):
        c = chr(byte)
        if c in UNRESERVED or (keep_slash and c == "/"):
            out.append(c)
        else:
            out.append("%%%02X" % byte)
    return "".join(out)


def canonical_query(raw):
    pairs = []
    for part in raw.split("&") if raw else []:
        name, _, value = part.partition("=")
        pairs.append((aws_encode(urllib.parse.unquote(name), False), aws_encode(urllib.parse.unquote(value), False)))
    return "&".join(f"{n}={v}" for n, v in sorted(pairs))


def signature_problem(method, raw_path, headers, body):
    """What is wrong with the request's signature, or None."""
    auth = headers.get("authorization", "")
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        return "no AWS4-HMAC-SHA256 Authorization header"
    fields = dict(item.strip().split("=", 1) for item in auth[len("AWS4-HMAC-SHA256 "):].split(","))
    key_id, date, region, service, terminator = fields["Credential"].split("/")
    if key_id != KEY_ID:
        return "unknown access key " + key_id
    if service != "s3" or terminator != "aws4_request":
        return "bad credential scope " + fields["Credential"]
    signed = fields["SignedHeaders"].split(";")
    required = ["host", "x-amz-content-sha256", "x-amz-date"] + (["x-amz-security-token"] if TOKEN else [])
    for name in required:
        if name not in signed:
            return "header %s is not signed" % name
    if TOKEN and headers.get("x-amz-security-token") != TOKEN:
        return "wrong or missing x-amz-security-token"
    payload = headers.get("x-amz-content-sha256", "")
    if payload != "UNSIGNED-PAYLOAD" and payload != hashlib.sha256(body).hexdigest():
        return "x-amz-content-sha256 does not match the body"
    amz_date = headers.get("x-amz-date", "")
    if not amz_date.startswith(date):
        return "x-amz-date does not match the credential's date"
    path, _, query = raw_path.partition("?")
    canonical_headers = "".join(n + ":" + " ".join(headers.get(n, "").split()) + "\n" for n in signed)
    request = "\n".join([
        method, aws_encode(urllib.parse.unquote(path), True), canonical_query(query), canonical_headers,
        fields["SignedHeaders"], payload])
    scope = "/".join([date, region, service, terminator])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(request.encode()).hexdigest()])
    k = ("AWS4" + SECRET).encode()
    for part in (date, region, service, terminator):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    if expected != fields["Signature"]:
        return "signature mismatch; canonical request was:\n" + request
    return None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body=b"", content_type="application/xml"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def error(self, status, code, message):
        text = "<?xml version=\"1.0\"?><Error><Code>%s</Code><Message>%s</Message></Error>" % (code, escape(message))
        self.answer(status, text.encode())

    def handle_any(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        problem = signature_problem(self.command, self.path, headers, body)
        if problem:
            sys.stderr.write(problem + "\n")
            return self.error(403, "SignatureDoesNotMatch", problem)
        path, _, query = self.path.partition("?")
        bucket, _, key = urllib.parse.unquote(path).lstrip("/").partition("/")
        params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        if self.command == "PUT":
            if key:
                objects[(bucket, key)] = body
            return self.answer(200)
        if self.command == "DELETE":
            objects.pop((bucket, key), None)
            return self.answer(204)
        if key:
            if (bucket, key) not in objects:
                return self.error(404, "NoSuchKey", "no such key")
            return self.answer(200, objects[(bucket, key)], "application/octet-stream")
        prefix = params.get("prefix", "")
        keys = sorted(k for b, k in objects if b == bucket and k.startswith(prefix))
        items = "".join("<Contents><Key>%s</Key></Contents>" % escape(k) for k in keys)
        text = "<?xml version=\"1.0\"?><ListBucketResult><IsTruncated>false</IsTruncated>%s</ListBucketResult>" % items
        return self.answer(200, text.encode())

    do_PUT = do_GET = do_DELETE = handle_any


signal.signal(signal.SIGTERM, signal.SIG_DFL)
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
