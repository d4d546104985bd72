# SPDX-License-Identifier: Apache-2.0
"""HTTP/1.x responses as the tests' raw socket clients receive them.

Large scrapes are streamed (Transfer-Encoding: chunked over HTTP/1.1), so
a body is only what is left once the chunk framing is taken off; a chunked
body that is cut short, as a scrape that failed midway is, raises
ValueError instead of passing for a whole one. Also the one client they
share: a free local port, and a whole GET of /metrics. Standard library
only.
"""
import socket


def _head(raw, at):
    end = raw.find(b"\r\n\r\n", at)
    if end < 0:
        raise ValueError("no end of headers")
    lines = raw[at:end].split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower().decode()] = value.strip().decode()
    return status, headers, end + 4


def _chunked(raw, at):
    body = []
    while True:
        eol = raw.find(b"\r\n", at)
        if eol < 0:
            raise ValueError("chunked body cut short (no chunk size)")
        size = int(raw[at:eol].split(b";")[0], 16)
        at = eol + 2
        if size == 0:
            if raw[at:at + 2] != b"\r\n":
                raise ValueError("chunked body without its final CRLF")
            return b"".join(body), at + 2
        if len(raw) < at + size + 2 or raw[at + size:at + size + 2] != b"\r\n":
            raise ValueError("chunked body cut short")
        body.append(raw[at:at + size])
        at += size + 2


def responses(raw):
    """Every response in raw (pipelined ones one after another): a list of
    (status, headers, body). The last one may end with the connection."""
    out, at = [], 0
    while at < len(raw):
        status, headers, at = _head(raw, at)
        if status in (204, 304) or 100 <= status < 200:
            body = b""
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body, at = _chunked(raw, at)
        elif "content-length" in headers:
            n = int(headers["content-length"])
            if len(raw) < at + n:
                raise ValueError("body shorter than Content-Length")
            body, at = raw[at:at + n], at + n
        else:
            body, at = raw[at:], len(raw)
        out.append((status, headers, body))
    return out


def response(raw):
    """The one response in raw: (status, headers, body)."""
    all_ = responses(raw)
    if len(all_) != 1:
        raise ValueError(f"{len(all_)} responses, want 1")
    return all_[0]


def free_port():
    """A local TCP port nobody listens on (for an exporter to start on)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port, gz=False, timeout=60):
    """GET /metrics from 127.0.0.1:port, read to the end: (status, body bytes).
    ValueError if the body was cut short."""
    req = b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    req += b"Accept-Encoding: gzip\r\n\r\n" if gz else b"\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(req)
        raw = b"".join(iter(lambda: s.recv(1 << 20), b""))
    status, _, body = response(raw)
    return status, body
