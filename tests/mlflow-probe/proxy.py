#!/usr/bin/env python3
"""Tiny logging reverse proxy (stdlib only).

    python3 proxy.py [--listen 5056] [--target http://127.0.0.1:5055] [--log /work/ref/traffic.log]

Forwards every request to the target and appends to the log, per exchange:
    method, path, query, request content-type/length, request body (first 2 KB),
    status, response content-type/length, response body (first 2 KB).
Binary bodies are logged as a short repr. JSON bodies have whitespace outside strings removed
(MLflow pretty-prints with indent=2; "length" is the real byte count). Bodies are fully buffered (fine for tests).
"""
import argparse
import http.client
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LIMIT = 2048
HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
       "trailers", "transfer-encoding", "upgrade", "host", "content-length"}
_lock = threading.Lock()
_seq = [0]


def _squeeze_json(text):
    out, in_str, esc = [], False, False
    for ch in text:
        if in_str:
            out.append(ch)
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
            out.append(ch)
        elif ch not in " \t\r\n":
            out.append(ch)
    return "".join(out)


def _fmt_body(data, ctype):
    if not data:
        return "<empty>"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return f"<binary {len(data)} bytes: {data[:64]!r}...>"
    if "json" in (ctype or ""):
        # MLflow pretty-prints JSON; drop whitespace outside string literals only, so numbers,
        # NaN/Infinity spellings and key order stay byte-exact.
        text = _squeeze_json(text)
    if len(text) > LIMIT:
        return text[:LIMIT] + f"...<truncated, {len(data)} bytes total>"
    return text


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    target = None
    logfile = None

    def log_message(self, fmt, *args):  # silence default stderr logging
        pass

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                line = self.rfile.readline().strip()
                size = int(line.split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks), True
        n = int(self.headers.get("Content-Length") or 0)
        return (self.rfile.read(n) if n else b""), False

    def _handle(self):
        t0 = time.time()
        body, chunked = self._read_body()
        u = urllib.parse.urlsplit(self.path)
        tgt = self.target
        conn_cls = http.client.HTTPSConnection if tgt.scheme == "https" else http.client.HTTPConnection
        conn = conn_cls(tgt.hostname, tgt.port or (443 if tgt.scheme == "https" else 80), timeout=600)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        headers["Host"] = tgt.netloc
        send_body = body if (body or self.command in ("POST", "PUT", "PATCH")) else None
        try:
            conn.request(self.command, self.path, body=send_body, headers=headers)
            resp = conn.getresponse()
            rbody = resp.read()
            status, reason, rheaders = resp.status, resp.reason, resp.getheaders()
        except Exception as e:  # target down etc.
            status, reason, rheaders = 502, "Bad Gateway", [("Content-Type", "text/plain")]
            rbody = f"proxy error: {e}".encode()
        finally:
            conn.close()

        self.send_response(status, reason)
        for k, v in rheaders:
            if k.lower() not in HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(rbody)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(rbody)

        rctype = dict((k.lower(), v) for k, v in rheaders).get("content-type", "")
        qctype = self.headers.get("Content-Type", "")
        with _lock:
            _seq[0] += 1
            entry = (
                f"===== #{_seq[0]} {time.strftime('%H:%M:%S')} ({(time.time()-t0)*1000:.0f} ms)\n"
                f">>> {self.command} {u.path}\n"
                f">>> query: {urllib.parse.unquote_plus(u.query) if u.query else '<none>'}"
                f"{'  [raw: ' + u.query + ']' if u.query else ''}\n"
                f">>> content-type: {qctype or '<none>'}; length: {len(body)}"
                f"{' (chunked)' if chunked else ''}\n"
                f">>> headers: {'; '.join(f'{k}: {v}' for k, v in self.headers.items() if k.lower() not in ('host', 'connection', 'accept', 'accept-encoding'))}\n"
                f">>> body: {_fmt_body(body, qctype)}\n"
                f"<<< {status} {reason}; content-type: {rctype or '<none>'}; length: {len(rbody)}\n"
                f"<<< headers: {'; '.join(f'{k}: {v}' for k, v in rheaders if k.lower() not in ('date', 'server', 'connection'))}\n"
                f"<<< body: {_fmt_body(rbody, rctype)}\n"
            )
            with open(self.logfile, "a", encoding="utf-8") as f:
                f.write(entry)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", type=int, default=5056)
    ap.add_argument("--target", default="http://127.0.0.1:5055")
    ap.add_argument("--log", default="/work/ref/traffic.log")
    a = ap.parse_args()
    Handler.target = urllib.parse.urlsplit(a.target)
    Handler.logfile = a.log
    srv = ThreadingHTTPServer(("127.0.0.1", a.listen), Handler)
    srv.daemon_threads = True
    print(f"proxy 127.0.0.1:{a.listen} -> {a.target}, logging to {a.log}", file=sys.stderr, flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
