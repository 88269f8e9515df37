#!/usr/bin/env python3
"""A classifyd client in plain Python (standard library only).

classifyd speaks HTTP/1.1 on a Unix socket; http.client only needs a socket
that is connected somewhere else, so UnixHTTPConnection below overrides
connect() and everything else (keep-alive, chunked replies) is stock.

    python3 examples/python_client.py [--socket PATH] health
    python3 examples/python_client.py [--socket PATH] plugins
    python3 examples/python_client.py [--socket PATH] classify "기사 본문..." [--title T] [--explain N]
    python3 examples/python_client.py [--socket PATH] batch FILE.jsonl|FILE.tsv

The socket defaults to $CLASSIFYD_SOCKET, else run/classifyd.sock (the daemon's
default when run from the repository). batch sends the file in requests of at
most 256 articles (and 512 KiB), under the daemon's 1 MiB body limit. Exit
status: 0 ok, 1 the daemon answered an error, 2 usage, 3 cannot reach the
daemon, 4 the batch file is unreadable or holds a line that is not an article.
"""
import argparse
import http.client
import json
import os
import socket
import sys


class UnixHTTPConnection(http.client.HTTPConnection):
    """http.client.HTTPConnection over an AF_UNIX stream socket."""

    def __init__(self, path, timeout=30):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


class DaemonError(Exception):
    def __init__(self, status, body):
        self.status = status
        try:
            err = json.loads(body)["error"]
            self.code, self.message = err.get("code", "?"), err.get("message", "")
        except (ValueError, KeyError, TypeError):
            self.code, self.message = "http_%d" % status, body[:200].decode("utf-8", "replace")
        super().__init__("%d %s: %s" % (status, self.code, self.message))


class Client:
    def __init__(self, path):
        self.conn = UnixHTTPConnection(path)  # reused: keep-alive

    def _call(self, method, target, body=None, ctype=None):
        headers = {"Content-Type": ctype} if ctype else {}
        self.conn.request(method, target, body=body, headers=headers)
        resp = self.conn.getresponse()
        return resp

    def get_json(self, target, ok=(200,)):
        resp = self._call("GET", target)
        data = resp.read()
        if resp.status not in ok:
            raise DaemonError(resp.status, data)
        return resp.status, json.loads(data)

    def classify(self, body, title=None, plugins=None, explain=0):
        article = {"body": body}
        if title:
            article["title"] = title
        if plugins:
            article["plugins"] = plugins
        if explain:
            article["explain"] = explain  # each plugin's "why" (docs/PROTOCOL.md)
        resp = self._call("POST", "/v1/classify", json.dumps(article).encode(), "application/json")
        data = resp.read()
        if resp.status != 200:
            raise DaemonError(resp.status, data)
        return json.loads(data)

    def classify_many(self, articles):
        """Streams one NDJSON request; yields one reply object per article as it arrives."""
        body = b"".join(json.dumps(a, ensure_ascii=False).encode() + b"\n" for a in articles)
        resp = self._call("POST", "/v1/classify", body, "application/x-ndjson")
        if resp.status != 200:
            raise DaemonError(resp.status, resp.read())
        while True:
            line = resp.readline()  # http.client removes the chunked framing
            if not line:
                break
            if line.strip():
                yield json.loads(line)


def summary(reply):
    """One line: id, each plugin's label and probability, the decision."""
    parts = [str(reply.get("id", "-"))]
    for name, r in sorted(reply.get("results", {}).items()):
        if "error" in r:
            parts.append("%s=error(%s)" % (name, r["error"].get("code")))
        else:
            if r.get("label") is None:  # e.g. the rules plugin when no rule fires
                parts.append("%s=-" % name)
                continue
            top = r["probs"][0]
            p = top["p"] if isinstance(top, dict) else top[1]
            parts.append("%s=%s(%.2f)" % (name, r["label"], p))
    d = reply.get("decision", {})
    parts.append("decision=%s review=%s" % (d.get("section") or "-", str(d.get("review")).lower()))
    return "\t".join(parts)


def reasons(reply):
    """Lines saying why each plugin chose its label (a reply asked with "explain")."""
    out = []
    for name, r in sorted(reply.get("results", {}).items()):
        why = r.get("why")
        if not why:
            continue
        if "error" in why:
            out.append("  %s: %s" % (name, why["error"].get("message")))
            continue
        words = lambda side: " ".join("%s(%+.3f)" % (t.get("ngram") or "#%s" % t.get("feature"),
                                                     t["share"]) for t in why[side])
        out.append("  %s: %s over %s: %s | %s" % (name, why["label"], why.get("over") or "-",
                                                  words("for"), words("against")))
    return out


class InputError(Exception):
    pass


def read_articles(path):
    """(line number, article) for each non-blank line of a JSONL or TSV file."""
    try:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                line = line.rstrip("\r\n")
                if not line.strip():
                    continue
                if line.lstrip().startswith("{"):
                    try:
                        a = json.loads(line)
                    except ValueError as e:
                        raise InputError("%s:%d: not a JSON object: %s" % (path, n, e))
                    if "body" not in a and "text" in a:  # many exports call it "text"
                        a["body"] = a["text"]
                    yield n, {k: a[k] for k in ("id", "title", "body") if k in a}
                else:
                    label, _, text = line.partition("\t")
                    yield n, {"id": str(n), "body": text or label}
    except UnicodeDecodeError as e:
        raise InputError("%s: not UTF-8 text (%s)" % (path, e))
    except OSError as e:
        raise InputError("%s: %s" % (path, e.strerror or e))


def chunks(articles, most=256, most_bytes=512 * 1024):
    """Groups of (line, article) small enough for one request each."""
    group, size = [], 0
    for n, a in articles:
        b = len(json.dumps(a, ensure_ascii=False).encode()) + 1
        if group and (len(group) == most or size + b > most_bytes):
            yield group
            group, size = [], 0
        group.append((n, a))
        size += b
    if group:
        yield group


def main():
    ap = argparse.ArgumentParser(description="classifyd example client")
    ap.add_argument("--socket", default=os.environ.get("CLASSIFYD_SOCKET", "run/classifyd.sock"))
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("health")
    sub.add_parser("plugins")
    c = sub.add_parser("classify")
    c.add_argument("text")
    c.add_argument("--title")
    c.add_argument("--explain", type=int, default=0, metavar="N",
                   help="also say why: N words or n-grams a side (1-32)")
    b = sub.add_parser("batch")
    b.add_argument("file")
    args = ap.parse_args()

    cl = Client(args.socket)
    try:
        if args.cmd == "health":
            _, alive = cl.get_json("/healthz")
            status, ready = cl.get_json("/readyz", ok=(200, 503))
            print("alive=%s ready=%s" % (alive.get("status"), str(ready.get("ready")).lower()))
            return 0 if status == 200 else 1
        if args.cmd == "plugins":
            _, p = cl.get_json("/v1/plugins")
            for plugin in p["plugins"]:
                m = plugin.get("model") or {}
                print("%s\t%s\t%d labels" % (plugin["name"], m.get("version"), len(plugin.get("labels", []))))
            return 0
        if args.cmd == "classify":
            reply = cl.classify(args.text, title=args.title, explain=args.explain)
            print(summary(reply))
            for line in reasons(reply):
                print(line)
            return 0
        if args.cmd == "batch":
            n = 0
            for group in chunks(read_articles(args.file)):
                lines = [line for line, _ in group]
                for reply in cl.classify_many([a for _, a in group]):
                    if "error" in reply:
                        # the daemon numbers the request's lines; name the file's
                        at = reply.get("line")
                        at = lines[at - 1] if isinstance(at, int) and 0 < at <= len(lines) else at
                        print("line %s\terror %s: %s" % (at, reply["error"].get("code"),
                                                         reply["error"].get("message")))
                    else:
                        print(summary(reply))
                    n += 1
            print("# %d replies" % n, file=sys.stderr)
            return 0
    except InputError as e:
        print("python_client: %s" % e, file=sys.stderr)
        return 4
    except DaemonError as e:
        print("python_client: daemon error: %s" % e, file=sys.stderr)
        return 1
    except (OSError, http.client.HTTPException) as e:
        print("python_client: cannot talk to %s: %s" % (args.socket, e), file=sys.stderr)
        return 3
    return 2


if __name__ == "__main__":
    sys.exit(main())
