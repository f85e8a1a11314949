"""Show, on demand, how a widget's messages are lost for good in JupyterLab 4.6 / Notebook 7 with ipykernel 7.

Not part of CI: run it after upgrading JupyterLab, Notebook or ipykernel to see whether the race is still there.

    python scripts/repro_subshell_drop.py [--app notebook|jupyterlab] [--delay SECONDS]

The mechanism (upstream; tensorgrad neither causes nor can avoid it):
1. The front end sends a comm's messages over one kernel subshell per comm target ("perCommTarget", the
   default), counted by reference. When the last `jupyter.widget` comm closes (here `Widget.close_all()`),
   `CommHandler._closePerCommTargetSubshell` drops the count to 0, *then* awaits the subshell's id, then deletes
   the subshell. A widget opened during that await finds the entry, counts itself in and adopts the subshell
   that is about to be deleted: every message it sends names a subshell that no longer exists.
2. ipykernel 7.4 routes a comm's messages to the subshell named by the message that was being handled the last
   time the kernel published on that comm. A button that only ever published its comm_open (from a cell) keeps
   going to the main shell, so its clicks survive; a GraphView answers its view's `ready` while handling a
   message that names the doomed subshell, so from then on its keys and node clicks are routed there and dropped
   ("Cannot handle comm_msg ...: Unknown subshell_id" in the server's log).

The window is the time the kernel takes to create a subshell (milliseconds); the script widens it by making the
kernel's subshell creation slow (an IPython startup file in a temporary IPYTHONDIR, this server's kernels only)
and opens the stepper in the cell that closes every widget, so the stepper's comms open inside the window.
"""
import argparse
import os
import pathlib
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

SLOW_SUBSHELLS = """\
import os, time
_delay = float(os.environ.get("TG_REPRO_SUBSHELL_DELAY", "0"))
_manager = get_ipython().kernel.shell_channel_thread.manager
_create = _manager._create_subshell
def _slow_create():
    time.sleep(_delay)  # the fault injected: a kernel slow to create a subshell
    return _create()
_manager._create_subshell = _slow_create
"""

CELL = """\
import ipywidgets
from tensorgrad import Value
from tensorgrad.widgets import BackwardStepper
ipywidgets.Button()
ipywidgets.Widget.close_all()  # every widget comm closes: the front end starts deleting the widgets' subshell
x = Value(2.0, label="x")
BackwardStepper((x * x + x).tanh())  # opens its comms while that deletion waits
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--app", choices=["notebook", "jupyterlab"], default="notebook")
    parser.add_argument("--delay", type=float, default=3.0, help="seconds the kernel takes to create a subshell")
    args = parser.parse_args()
    import nbformat
    from playwright.sync_api import TimeoutError as PlaywrightTimeout, sync_playwright
    from browser_support import CHROMIUM_ARGS, chromium_path, jupyterlab, kernel_trouble

    with tempfile.TemporaryDirectory() as tmp:
        startup = pathlib.Path(tmp, "ipython", "profile_default", "startup")
        startup.mkdir(parents=True)
        (startup / "00-slow-subshells.py").write_text(SLOW_SUBSHELLS)
        os.environ.update(IPYTHONDIR=str(startup.parent.parent), TG_REPRO_SUBSHELL_DELAY=str(args.delay))
        notebooks = pathlib.Path(tmp, "notebooks")
        notebooks.mkdir()
        kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}  # no kernel dialog
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CELL)], metadata={"kernelspec": kernelspec})
        nbformat.write(notebook, notebooks / "repro.ipynb")
        url = "/notebooks/repro.ipynb" if args.app == "notebook" else "/lab/tree/repro.ipynb"
        with jupyterlab(notebooks, args.app) as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.set_default_timeout(90_000)
            page.goto(base + url)
            page.wait_for_function("() => { const p = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
                                   " const k = p && p.sessionContext && p.sessionContext.session &&"
                                   " p.sessionContext.session.kernel; return k && k.status === 'idle'; }")
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
            stepper = page.locator(".tensorgrad-stepper").first
            stepper.locator(".tg-graphview[data-drawn]").wait_for()
            panel = stepper.locator(".tensorgrad-stepper-panel")
            stepper.get_by_role("button", name="next").click()
            panel.filter(has_text="Step 1 of").wait_for()
            print("the next button: step 1 shown (a button's clicks go to the main shell)")
            stepper.locator(".tg-viewport").click(position={"x": 40, "y": 40})
            page.keyboard.press("ArrowRight")
            try:
                panel.filter(has_text="Step 2 of").wait_for(timeout=10_000)
                print("the arrow key: step 2 shown")
            except PlaywrightTimeout:
                print("the arrow key: LOST (the panel still says step 1 after 10 s)")
            browser.close()
            dropped = [line for line in kernel_trouble(base) if "Unknown subshell" in line]
        print("the kernel's log:", *(dropped or ["no message dropped"]), sep="\n  ")
    return 0 if dropped else 1  # 0: the race reproduced


if __name__ == "__main__":
    sys.exit(main())
