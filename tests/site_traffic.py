"""The course site served as a static host serves it, with every byte it sends counted: what a class's Wi-Fi carries.

`host(site, mbit=None)` serves the folder from 127.0.0.1 with the cache headers a static host sends
(`Cache-Control: max-age=600`, an `ETag` and `Last-Modified`, 304 for a request that still has the file), and
counts each response's body bytes per path; `mbit` caps the whole server's sending rate (all connections
together), a school link. `visit(...)` opens a page in a Chromium profile kept in a folder (a first visit in a
new folder, a second one in the same folder, as a student's browser) and returns what it took.
"""
import contextlib
import dataclasses
import email.utils
import functools
import http.server
import os
import threading
import time

CHUNK = 64 * 1024


@dataclasses.dataclass
class Traffic:
    """What the server sent: (path, status, body bytes) per response, in order."""
    responses: list = dataclasses.field(default_factory=list)
    lock: object = dataclasses.field(default_factory=threading.Lock)

    @property
    def sent(self):
        return sum(size for _, _, size in self.responses)

    def full(self):
        """The responses that carried a body (a 304 carries none)."""
        return [(path, size) for path, status, size in self.responses if status == 200]

    def reset(self):
        with self.lock:
            self.responses.clear()


class _Pacer:
    """One shared budget of bytes per second for every connection (None: no limit)."""

    def __init__(self, mbit):
        self.rate, self.lock, self.next_free = (mbit * 1e6 / 8 if mbit else None), threading.Lock(), time.monotonic()

    def wait(self, size):
        if self.rate is None:
            return
        with self.lock:
            start = max(self.next_free, time.monotonic())
            self.next_free = start + size / self.rate
        time.sleep(max(0.0, self.next_free - time.monotonic()))


class _Handler(http.server.SimpleHTTPRequestHandler):
    traffic = pacer = None

    def log_message(self, *args):
        pass

    def end_headers(self):
        path = self.translate_path(self.path)
        if os.path.isfile(path):
            stat = os.stat(path)
            self.send_header("Cache-Control", "max-age=600")
            self.send_header("ETag", f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"')
        super().end_headers()

    def send_head(self):
        path = self.translate_path(self.path)
        if os.path.isfile(path) and self.headers.get("If-None-Match"):
            stat = os.stat(path)
            if self.headers["If-None-Match"] == f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"':
                self.send_response(304)
                self.send_header("Last-Modified", email.utils.formatdate(stat.st_mtime, usegmt=True))
                self.end_headers()
                self._note(304, 0)
                return None
        return super().send_head()

    def copyfile(self, source, outputfile):
        size = 0
        while block := source.read(CHUNK):
            self.pacer.wait(len(block))
            outputfile.write(block)
            size += len(block)
        self._note(200, size)

    def send_error(self, code, *args, **kwargs):
        self._note(code, 0)
        super().send_error(code, *args, **kwargs)

    def _note(self, status, size):
        with self.traffic.lock:
            self.traffic.responses.append((self.path.split("?")[0], status, size))


@contextlib.contextmanager
def host(site, mbit=None):
    """Serve `site`; yield (base URL, Traffic)."""
    traffic = Traffic()
    handler = type("Handler", (_Handler,), {"traffic": traffic, "pacer": _Pacer(mbit)})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", traffic
    finally:
        server.shutdown()
        server.server_close()


def visit(playwright, base, url, profile, ready, timeout=300_000):
    """Open `base + url` in a Chromium whose profile lives in `profile`; seconds until `ready(page)` returns.

    Other hosts do not resolve, and the URLs asked of them are returned too (the list must stay empty). Not
    Playwright's routing, which would turn the browser's HTTP cache off: the second visit is what is measured.
    """
    from browser_support import CHROMIUM_ARGS, chromium_path
    elsewhere = []
    context = playwright.chromium.launch_persistent_context(
        str(profile), executable_path=chromium_path(), headless=True, viewport={"width": 1280, "height": 800},
        args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"])
    try:
        context.on("request", lambda r: r.url.startswith((base + "/", "data:", "blob:")) or elsewhere.append(r.url))
        page = context.pages[0] if context.pages else context.new_page()
        page.set_default_timeout(timeout)
        began = time.perf_counter()
        page.goto(base + url)
        ready(page)
        return time.perf_counter() - began, elsewhere
    finally:
        context.close()
