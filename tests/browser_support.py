"""What the browser tests need: Debian's Chromium under Playwright, and Voila / JupyterLab servers.

Servers listen on 127.0.0.1 on a free port, without a token, and are stopped whatever happens. They
run with no Graphviz `dot` on their PATH: drawings are laid out in the browser. Their kernels talk over
Unix sockets (`ipc`), not TCP: a kernel's TCP ports are picked free and bound a moment later, and another
socket taking one in between (jupyter_client issue 487) kills the kernel on every restart, since a restart
reuses the ports; the page then waits for ever.
Playwright's own browser downloads are never used: it drives /usr/bin/chromium.
"""
import contextlib
import json
import os
import pathlib
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
SERVER_LOGS = {}  # base URL -> the log of the server (and of its kernels: they write to its stderr)
# What a kernel writes when it drops or fails a message the page sent: a comm message routed to a subshell that
# is gone (ipykernel 7: "Cannot handle comm_msg ...: Unknown subshell_id"), a handler that raised, a bad message;
# or a kernel that died starting (the page then waits for a kernel that never comes).
KERNEL_TROUBLE = re.compile(r"Cannot handle|Unknown subshell|Invalid [Mm]essage|Exception (in|opening)|Traceback|"
                            r"No such comm|Kernel died|restart failed|Address already in use")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def chromium_path():
    """The browser, or a skip naming the one install command (a failure under CI, where it must exist)."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        message = "Debian's Chromium is not installed: apt-get install chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (under CI a missing browser is a failure: .ci/run installs it)")
        pytest.skip(message)
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def without_dot():
    """The environment with no Graphviz `dot` on the PATH: servers show that the widgets need none."""
    path = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d and not shutil.which("dot", path=d)]
    return {**os.environ, "PATH": os.pathsep.join([os.path.dirname(sys.executable), *path])}


def _wait_until_ready(url, process, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited early with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def _start(args, ready_path, log_path, env, attempts=3):
    """The server's process and base URL. A port picked free can be taken before the server binds it (say, as
    the local end of a browser's connection): the server, told not to wander to another port, then exits
    saying so, and is started again on another free port."""
    for _ in range(attempts):
        port = free_port()
        with open(log_path, "w") as log:
            process = subprocess.Popen([sys.executable, "-m", *args, f"--port={port}",
                                        "--KernelManager.transport=ipc"],
                                       stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until_ready(base + ready_path, process)
            return process, base
        except BaseException as error:
            _stop(process)
            exited_for_its_port = isinstance(error, RuntimeError) and "already in use" in log_path.read_text(
                errors="replace")
            if not exited_for_its_port:
                raise
    raise RuntimeError(f"{attempts} free ports in a row were taken before the server could bind them")


@contextlib.contextmanager
def server(args, ready_path, log_name, settings=None):
    """Start a Jupyter server command on a free port; yield its base URL; always stop it.

    settings: {"@jupyterlab/PLUGIN-extension:NAME": {setting: value}}, the user settings it starts with."""
    ARTIFACTS.mkdir(exist_ok=True)
    env = without_dot()  # kernels import this checkout's packages (tensorgrad, and bench for the benchmark)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory() as home:  # JupyterLab's user settings and workspaces: see jupyterlab()
        env["JUPYTERLAB_SETTINGS_DIR"], env["JUPYTERLAB_WORKSPACES_DIR"] = home + "/settings", home + "/workspaces"
        for plugin, values in (settings or {}).items():
            package, name = plugin.split(":")
            path = pathlib.Path(home, "settings", package, name + ".jupyterlab-settings")
            path.parent.mkdir(parents=True)
            path.write_text(json.dumps(values))
        log_path = ARTIFACTS / f"{log_name}.log"
        process, base = _start(args, ready_path, log_path, env)
        SERVER_LOGS[base] = str(log_path)
        try:
            yield base
        finally:
            _stop(process)


def _stop(process):
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def kernel_trouble(base):
    """The lines of the server's log (its kernels' stderr too) that say a kernel dropped or failed a message."""
    path = SERVER_LOGS.get(base.rstrip("/"))
    if path is None or not os.path.exists(path):
        return []
    with open(path, errors="replace") as log:
        return [line.rstrip() for line in log if KERNEL_TROUBLE.search(line)]


def keep_server_log(base, name):
    """Keep the server's log (kernels' stderr included) as test-artifacts/NAME-server.log: the next server of the
    same kind writes over its own log."""
    path = SERVER_LOGS.get(base.rstrip("/"))
    if path is not None and os.path.exists(path):
        shutil.copyfile(path, ARTIFACTS / f"{name}-server.log")


def voila(notebook):
    """Serve one notebook as an app, as a teacher would with `voila notebooks/NAME.ipynb`.

    Readiness is asked of a static file: asking for the page would start a kernel running the whole notebook
    beside the test's own, doubling the load and the kernel starts.
    """
    return server(["voila", str(notebook), "--no-browser", "--Voila.ip=127.0.0.1", "--Voila.port_retries=0"],
                  "/voila/static/voila.js", "voila-" + notebook.stem)


def jupyterlab(root_dir, app="jupyterlab", settings=None):
    """JupyterLab (or app="notebook": Notebook 7) on `root_dir`, no token, the app object exposed to tests.

    Each server starts with no saved workspace or user settings, as on a fresh machine: a workspace saved by an
    earlier test would reopen that test's notebook, gone with its folder."""
    return server([app, "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1", "--ServerApp.port_retries=0",
                   "--IdentityProvider.token=", "--ServerApp.password=", "--expose-app-in-browser",
                   f"--ServerApp.root_dir={root_dir}", "--LabApp.news_url=", "--LabApp.check_for_updates_class="
                   "jupyterlab.NeverCheckForUpdate"], "/api", app, settings)


def _kernel_message(payload):
    """A kernel websocket frame as a dict: JSON text, or the binary v1.kernel.websocket.jupyter.org framing."""
    if isinstance(payload, str):
        return json.loads(payload)
    count = struct.unpack_from("<Q", payload)[0]
    offsets = struct.unpack_from(f"<{count}Q", payload, 8)
    parts = [payload[a:b].decode() for a, b in zip(offsets, offsets[1:5] + (offsets[5:6] or (len(payload),)))]
    return {"channel": parts[0], **{k: json.loads(v or "{}") for k, v in
                                    zip(("header", "parent_header", "metadata", "content"), parts[1:])}}


class KernelTraffic:
    """What a page said to its kernels and heard back, and what its console said: one line each.

    A lost click can fail at any hop (never sent, sent to a shell that drops it, answered but not
    shown): when a test fails, these lines, kept as test-artifacts/NAME-kernel.log, name the hop.
    """

    def __init__(self, page):
        self.started, self.lines, self.errors, self.page_errors = time.monotonic(), [], [], []
        page.on("websocket", self._socket)
        page.on("console", self._console)
        page.on("pageerror", lambda e: self._page_error("pageerror", str(e)[:200]))

    def _console(self, message):
        if message.type == "error":  # say, ipywidgets' "Could not process update msg": the model stops updating
            self._page_error("console", message.text[:200])
        else:
            self._note("console", message.type, message.text[:200])

    def _page_error(self, *words):
        self._note(*words)
        self.page_errors.append(self.lines[-1])

    def _note(self, *words):
        self.lines.append(f"{time.monotonic() - self.started:8.3f} " + " ".join(map(str, words)))

    def _socket(self, ws):
        if "/channels" in ws.url:
            self._note("websocket open", ws.url.split("?")[0])
            ws.on("framesent", lambda payload: self._frame("sent", payload))
            ws.on("framereceived", lambda payload: self._frame("recv", payload))
            ws.on("close", lambda _ws: self._note("websocket closed"))

    def _frame(self, direction, payload):
        try:
            self._describe(direction, _kernel_message(payload))
        except Exception as error:  # a record that cannot be read must never fail the test it watches
            self._note(direction, f"an unreadable frame ({type(error).__name__})")

    def _describe(self, direction, msg):
        header, content = msg.get("header", {}), msg.get("content", {})
        data = content.get("data") if isinstance(content.get("data"), dict) else {}
        if header.get("msg_type") == "error":  # raised in the kernel: for a comm message, shown in no cell
            self.errors.append(f"{content.get('ename')}: {str(content.get('evalue'))[:120]} "
                               f"(handling {(msg.get('parent_header') or {}).get('msg_type', '-')})")
        what = {"status": content.get("execution_state"), "comm_msg": data.get("method"),
                "comm_open": content.get("target_name"), "create_subshell_reply": content.get("subshell_id")}
        detail = what.get(header.get("msg_type"), "") or ""
        if header.get("msg_type") == "error" or content.get("status") == "error":  # a reply saying it was not handled
            detail += f" {content.get('ename', '')}: {str(content.get('evalue', ''))[:80]}"
        state = data.get("state") or {}
        if data.get("content") or "value" in state:  # a custom message, or a new value (a panel's text, a slider's step)
            detail += " " + str(data.get("content") or state["value"])[:60]
        self._note(direction, msg.get("channel"), header.get("msg_type"), detail,
                   "comm=" + content.get("comm_id", "")[:8] if "comm_id" in content else "",
                   "subshell=" + header["subshell_id"][:8] if header.get("subshell_id") else "",
                   "parent=" + (msg.get("parent_header") or {}).get("msg_type", "-"))

    def keep(self, name):
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"{name}-kernel.log").write_text("\n".join(self.lines) + "\n")


def first_stepper(page):
    """The open notebook's first stepper in JupyterLab or Notebook 7, its cell made the active one and scrolled to
    (the windowed notebook leaves out cells it does not show), once drawn.

    Activating the cell first is what makes a click on the stepper reach it: a click that activates a cell makes
    JupyterLab 4's windowed notebook scroll that cell into view from its estimated cell heights, and now and then
    (in about one run in ten) it scrolls thousands of pixels away between the mouse's press and its release, so
    the click lands on another cell (the upstream family of jupyterlab/jupyterlab#15968 and #14106). A click in the
    cell that is already active scrolls nothing."""
    page.wait_for_function("""() => {
        const notebook = window.jupyterapp.shell.currentWidget.content;
        const i = notebook.widgets.findIndex(cell => cell.node.querySelector('.tensorgrad-stepper'));
        if (i < 0) return false;
        notebook.activeCellIndex = i;
        notebook.scrollToItem(i, 'start');
        return true; }""")
    stepper = page.locator(".tensorgrad-stepper").first
    stepper.locator(".tg-graphview[data-drawn]").wait_for()
    return stepper


def keep_screenshot(page, name):
    """A picture of the whole page as a test artefact (test-artifacts/NAME.png), if the page still answers."""
    ARTIFACTS.mkdir(exist_ok=True)
    with contextlib.suppress(Exception):
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@contextlib.contextmanager
def screenshot_on_failure(page, name):
    """Keep a picture of the page when a check inside the block fails (a fixture hears no failure: see test_browser's page)."""
    try:
        yield
    except BaseException:
        keep_screenshot(page, name)
        raise


@contextlib.contextmanager
def notebook_of(*cells):
    """A temporary notebook of these code cells; its kernel can import the tests' example_graphs."""
    import nbformat
    with tempfile.TemporaryDirectory() as tmp:
        notebook = pathlib.Path(tmp) / "graph.ipynb"
        prelude = f"import sys\nsys.path.insert(0, {str(ROOT / 'tests')!r})"
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in (prelude, *cells)]),
                       notebook)
        yield notebook


@contextlib.contextmanager
def graph_page(code, timeout=180_000):
    """A one-cell notebook of `code` served by Voila, open in headless Chromium (1400x1000) once its graph is drawn.

    For scripts that look at a widget (README pictures, the benchmark) rather than test it.
    """
    from playwright.sync_api import sync_playwright
    with notebook_of(code) as notebook:
        with voila(notebook) as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(base + "/")
                page.locator(".tg-graphview[data-drawn]").first.wait_for(timeout=timeout)
                yield page
            finally:
                browser.close()
