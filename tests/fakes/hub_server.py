"""A small in-memory stand-in for the Hugging Face Hub HTTP API, for tests (no network needed).

It implements the part of the API that huggingface_hub 2.4 (and transformers/peft through it) use to create a repo,
commit files and download them again, so the real client code runs unchanged against `HF_ENDPOINT=server.url`:

  GET  /api/whoami-v2                                   who the token belongs to
  POST /api/repos/create, DELETE /api/repos/delete      create (409 when it exists) / delete a repo
  POST /api/validate-yaml                               the README.md metadata check create_commit runs first
  POST /api/models/{repo}/preupload/{rev}               answers "regular" for every file: contents then travel
                                                        base64-inline in the commit (no LFS/xet transfer to fake)
  POST /api/models/{repo}/commit/{rev}                  NDJSON commit: header, file, deletedFile, deletedFolder
  POST /api/models/{repo}/branch/{branch}               create a branch from main
  GET  /api/models/{repo}[/revision/{rev}]              repo info (sha, siblings)
  GET  /api/models/{repo}/tree/{rev}[/{path}]           file listing (recursive=1 supported)
  HEAD/GET /{repo}/resolve/{rev}/{path}                 download with ETag, X-Repo-Commit, Content-Length, Range

Tokens: WRITE_TOKEN may do anything, READ_TOKEN may read but gets 403 on writes, any other token gets 401
("Invalid credentials in Authorization header"), like the real Hub. Private repos are invisible (404) without a
valid token. `fail_next(kind, status, times)` makes the next requests of a kind ("commit", "preupload", ...)
fail with that status, to test retries. Every request is recorded in `requests`; commits in `commits`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

USER = "tester"
ORGS = ["searchtune-org"]
WRITE_TOKEN = "hf_TestWriteTokenAbcdefghijklmnopqrstuv"
READ_TOKEN = "hf_TestReadTokenAbcdefghijklmnopqrstuvw"
GITATTRIBUTES = b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n*.bin filter=lfs diff=lfs merge=lfs -text\n"
REPO = r"(?P<repo>[\w.-]+/[\w.-]+)"


def blob_oid(data: bytes) -> str:
    """The git blob id, which the Hub uses as the ETag of regular (non-LFS) files."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class HubState:
    def __init__(self):
        self.lock = threading.Lock()
        self.repos: dict[str, dict] = {}  # repo_id -> {"private", "branches": {name: sha}, "snapshots": {sha: files}}
        self.requests: list[tuple[str, str]] = []
        self.commits: list[dict] = []
        self.failures: dict[str, list[int]] = {}
        self.unrouted: list[tuple[str, str]] = []  # requests the stand-in does not implement (tests assert none)

    def fail_next(self, kind: str, status: int = 500, times: int = 1) -> None:
        self.failures.setdefault(kind, []).extend([status] * times)

    def new_commit(self, repo_id: str, branch: str, files: dict[str, bytes], summary: str) -> str:
        repo = self.repos[repo_id]
        parent = repo["branches"].get(branch, "")
        sha = hashlib.sha1(f"{repo_id}\n{parent}\n{summary}\n{time.time_ns()}".encode()).hexdigest()
        repo["snapshots"][sha] = files
        repo["branches"][branch] = sha
        return sha


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state: HubState
    base_url: str

    def log_message(self, *args):  # keep pytest output clean
        pass

    # -- plumbing ---------------------------------------------------------------------------------------------
    def _send(self, status: int, body: bytes = b"", headers: dict | None = None, ctype: str = "application/json"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for key, value in (headers or {}).items():
            self.send_header(key, str(value))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, obj, headers: dict | None = None):
        self._send(status, json.dumps(obj).encode(), headers)

    def _error(self, status: int, message: str, code: str | None = None):
        headers = {"X-Error-Message": message}
        if code:
            headers["X-Error-Code"] = code
        self._json(status, {"error": message}, headers)

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _role(self) -> str | None:
        """'write', 'read', None (no token) or 'invalid'."""
        auth = self.headers.get("Authorization", "")
        if not auth:
            return None
        token = auth.removeprefix("Bearer ").strip()
        return {WRITE_TOKEN: "write", READ_TOKEN: "read"}.get(token, "invalid")

    def _need(self, write: bool) -> bool:
        """Check the token; send the error and return False when the request may not proceed."""
        role = self._role()
        if role == "invalid" or (write and role is None):
            self._error(401, "Invalid credentials in Authorization header")
            return False
        if write and role != "write":
            self._error(403, "You don't have the rights to write to this repo: the token is read-only")
            return False
        return True

    def _repo(self, repo_id: str) -> dict | None:
        repo = self.state.repos.get(repo_id)
        if repo is None or (repo["private"] and self._role() not in ("read", "write")):
            self._error(404, "Repository not found", "RepoNotFound")
            return None
        return repo

    def _snapshot(self, repo: dict, rev: str) -> tuple[str, dict] | None:
        sha = repo["branches"].get(rev) or (rev if rev in repo["snapshots"] else None)
        if sha is None:
            self._error(404, f"Invalid rev id: {rev}", "RevisionNotFound")
            return None
        return sha, repo["snapshots"][sha]

    def _dispatch(self):
        url = urlsplit(self.path)
        path, query = url.path, parse_qs(url.query)  # matched quoted: a revision may hold an encoded "/"
        with self.state.lock:
            self.state.requests.append((self.command, unquote(path)))
        for kind, method, pattern, handler in ROUTES:
            match = re.fullmatch(pattern, path) if method == self.command or (method == "GET" and self.command == "HEAD") else None
            if match:
                failures = self.state.failures.get(kind)
                if failures:
                    self._body()
                    return self._error(failures.pop(0), "Injected failure")
                args = {k: unquote(v) for k, v in match.groupdict().items() if v is not None}
                return handler(self, query=query, **args)
        self.state.unrouted.append((self.command, unquote(path)))
        self._error(404, f"test hub: no route for {self.command} {unquote(path)}")

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = _dispatch

    # -- endpoints --------------------------------------------------------------------------------------------
    def whoami(self, query):
        if self._role() in (None, "invalid"):
            return self._error(401, "Invalid credentials in Authorization header")
        role = self._role()
        self._json(200, {"type": "user", "id": "1", "name": USER, "fullname": "Test User",
                         "orgs": [{"name": org, "type": "org"} for org in ORGS],
                         "auth": {"type": "access_token", "accessToken": {"displayName": role, "role": role}}})

    def create_repo(self, query):
        body = json.loads(self._body() or b"{}")
        if not self._need(write=True):
            return
        namespace = body.get("organization") or USER
        repo_id = f"{namespace}/{body['name']}"
        if namespace not in [USER, *ORGS]:
            return self._error(403, f"You don't have the rights to create a model under the namespace {namespace}")
        if body.get("type", "model") != "model":
            return self._error(400, "test hub: only model repos")
        with self.state.lock:
            if repo_id in self.state.repos:
                return self._json(409, {"error": "You already created this model repo", "url": f"{self.base_url}/{repo_id}"})
            private = body.get("private", body.get("visibility") == "private")
            self.state.repos[repo_id] = {"private": bool(private), "branches": {}, "snapshots": {}}
            self.state.new_commit(repo_id, "main", {".gitattributes": GITATTRIBUTES}, "initial commit")
        self._json(200, {"url": f"{self.base_url}/{repo_id}", "name": repo_id, "id": repo_id})

    def delete_repo(self, query):
        body = json.loads(self._body() or b"{}")
        if not self._need(write=True):
            return
        repo_id = f"{body.get('organization') or USER}/{body['name']}"
        with self.state.lock:
            if self.state.repos.pop(repo_id, None) is None:
                return self._error(404, "Repository not found", "RepoNotFound")
        self._json(200, {})

    def validate_yaml(self, query):
        content = json.loads(self._body()).get("content", "")
        match = re.match(r"^\s*---\r?\n([\S\s]*?)\r?\n---[ \t]*(\r?\n|$)", content)
        try:
            meta = yaml.safe_load(match.group(1)) if match else {}
            assert isinstance(meta or {}, dict), "metadata must be a mapping"
            for entry in (meta or {}).get("model-index", []):
                for result in entry["results"]:
                    assert result["task"]["type"] and result["dataset"]["type"] and result["dataset"]["name"]
                    for metric in result["metrics"]:
                        assert metric["type"] and isinstance(metric["value"], (int, float, str))
        except Exception as e:  # noqa: BLE001 - reported to the client as the Hub would
            return self._json(400, {"errors": [{"message": f"invalid metadata: {e!r}"}]})
        self._json(200, {"errors": [], "warnings": []})

    def preupload(self, query, repo, rev):
        body = json.loads(self._body())
        if not self._need(write=True) or (r := self._repo(repo)) is None or (snap := self._snapshot(r, rev)) is None:
            return
        files = snap[1]
        self._json(200, {"files": [
            {"path": f["path"], "uploadMode": "regular", "shouldIgnore": False,
             "oid": blob_oid(files[f["path"]]) if f["path"] in files else None}
            for f in body["files"]
        ]})

    def commit(self, query, repo, rev):
        lines = [json.loads(line) for line in self._body().splitlines() if line.strip()]
        if not self._need(write=True) or (r := self._repo(repo)) is None or (snap := self._snapshot(r, rev)) is None:
            return
        if query.get("create_pr"):
            return self._error(400, "test hub: pull requests are not supported")
        header = next((item["value"] for item in lines if item["key"] == "header"), {})
        files = dict(snap[1])
        for item in lines:
            key, value = item["key"], item["value"]
            if key == "file":
                files[value["path"]] = base64.b64decode(value["content"])
            elif key == "deletedFile":
                files.pop(value["path"], None)
            elif key == "deletedFolder":
                files = {p: c for p, c in files.items() if not p.startswith(value["path"].rstrip("/") + "/")}
            elif key != "header":
                return self._error(400, f"test hub: unsupported commit operation {key} (only inline files)")
        with self.state.lock:
            sha = self.state.new_commit(repo, rev, files, header.get("summary", ""))
            self.state.commits.append({"repo": repo, "revision": rev, "oid": sha,
                                       "summary": header.get("summary"), "files": sorted(files)})
        self._json(200, {"commitUrl": f"{self.base_url}/{repo}/commit/{sha}", "commitOid": sha,
                         "pullRequestUrl": None, "success": True})

    def create_branch(self, query, repo, branch):
        self._body()
        if not self._need(write=True) or (r := self._repo(repo)) is None:
            return
        if branch in r["branches"]:
            return self._error(409, "Reference already exists")
        r["branches"][branch] = r["branches"]["main"]
        self._json(200, {})

    def repo_info(self, query, repo, rev="main"):
        if not self._need(write=False) or (r := self._repo(repo)) is None or (snap := self._snapshot(r, rev)) is None:
            return
        sha, files = snap
        self._json(200, {"_id": repo, "id": repo, "modelId": repo, "author": repo.split("/")[0], "sha": sha,
                         "private": r["private"], "disabled": False, "gated": False, "downloads": 0, "likes": 0,
                         "tags": [], "siblings": [{"rfilename": p} for p in sorted(files)],
                         "lastModified": "2025-01-01T00:00:00.000Z", "createdAt": "2025-01-01T00:00:00.000Z"})

    def tree(self, query, repo, rev, sub=""):
        if not self._need(write=False) or (r := self._repo(repo)) is None or (snap := self._snapshot(r, rev)) is None:
            return
        prefix = sub.strip("/") + "/" if sub.strip("/") else ""
        recursive = query.get("recursive", ["false"])[0].lower() in ("1", "true")
        entries, dirs = [], set()
        for path, data in sorted(snap[1].items()):
            if not path.startswith(prefix):
                continue
            rest = path[len(prefix):].split("/")
            for depth in range(1, len(rest)):
                if recursive or depth == 1:
                    dirs.add(prefix + "/".join(rest[:depth]))
            if recursive or len(rest) == 1:
                entries.append({"type": "file", "oid": blob_oid(data), "size": len(data), "path": path})
        if prefix and not entries and not dirs:
            return self._error(404, f"{sub} does not exist", "EntryNotFound")
        entries += [{"type": "directory", "oid": blob_oid(d.encode()), "size": 0, "path": d} for d in sorted(dirs)]
        self._json(200, entries)

    def resolve(self, query, repo, rev, file):
        if not self._need(write=False) or (r := self._repo(repo)) is None or (snap := self._snapshot(r, rev)) is None:
            return
        sha, files = snap
        if file not in files:
            return self._error(404, "Entry not found", "EntryNotFound")
        data = files[file]
        headers = {"ETag": f'"{blob_oid(data)}"', "X-Repo-Commit": sha, "Accept-Ranges": "bytes"}
        rng = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        if rng:
            start, end = int(rng.group(1)), int(rng.group(2) or len(data) - 1)
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
            return self._send(206, data[start:end + 1], headers, "application/octet-stream")
        self._send(200, data, headers, "application/octet-stream")


ROUTES = [
    ("whoami", "GET", r"/api/whoami-v2", Handler.whoami),
    ("create_repo", "POST", r"/api/repos/create", Handler.create_repo),
    ("delete_repo", "DELETE", r"/api/repos/delete", Handler.delete_repo),
    ("validate_yaml", "POST", r"/api/validate-yaml", Handler.validate_yaml),
    ("preupload", "POST", rf"/api/models/{REPO}/preupload/(?P<rev>.+)", Handler.preupload),
    ("commit", "POST", rf"/api/models/{REPO}/commit/(?P<rev>.+)", Handler.commit),
    ("branch", "POST", rf"/api/models/{REPO}/branch/(?P<branch>.+)", Handler.create_branch),
    ("tree", "GET", rf"/api/models/{REPO}/tree/(?P<rev>[^/]+)(?:/(?P<sub>.*))?", Handler.tree),
    ("repo_info", "GET", rf"/api/models/{REPO}/revision/(?P<rev>.+)", Handler.repo_info),
    ("repo_info", "GET", rf"/api/models/{REPO}", Handler.repo_info),
    ("resolve", "GET", rf"/{REPO}/resolve/(?P<rev>[^/]+)/(?P<file>.+)", Handler.resolve),
]


class FakeHub:
    """Run the server on 127.0.0.1 (random port) in a background thread. Use as a context manager."""

    def __init__(self):
        self.state = HubState()
        handler = type("BoundHandler", (Handler,), {"state": self.state})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        handler.base_url = self.url
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "FakeHub":
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    # conveniences for assertions
    @property
    def commits(self) -> list[dict]:
        return self.state.commits

    @property
    def requests(self) -> list[tuple[str, str]]:
        return self.state.requests

    def fail_next(self, kind: str, status: int = 500, times: int = 1) -> None:
        self.state.fail_next(kind, status, times)

    def files(self, repo_id: str, revision: str = "main") -> dict[str, bytes]:
        repo = self.state.repos[repo_id]
        return repo["snapshots"][repo["branches"][revision]]
