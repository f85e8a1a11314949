// No homework lost: the course site's guard over a student's work (scripts/site_homework.py injects it).
//
// JupyterLite keeps a student's edits only in this browser's site storage (IndexedDB), which the browser may
// clear. On every page this asks the browser to keep that storage (navigator.storage.persist()). In every
// notebook view (JupyterLab, the Notebook UI) a slim strip above the notebook says where the work lives, a warning
// when the browser has not agreed to keep it, and a "Download this notebook" button (the saved file, the one a
// teacher grades). When the student's saved copy of a notebook hides a newer version the teacher has published
// (JupyterLite serves the saved copy in its place), a notice above the notebook says so and offers both.
// No build step: it drives the app JupyterLite exposes (exposeAppInBrowser) through public JupyterLab APIs.
(function () {
  "use strict";
  const ROOT = new URL("../../", document.currentScript.src); // this file is ROOT/static/tensorgrad/
  const ACKNOWLEDGED = "tensorgrad-homework:kept-mine:"; // + path: the published hash the student chose to ignore
  const HELP = new URL("index.html#your-work", ROOT).href;

  // Whether the browser keeps the site's storage: true, false, or null (no Storage API: not a secure context).
  const persistence = (async () => {
    const storage = navigator.storage;
    if (!storage || !storage.persist) return null;
    if (await storage.persisted()) return true;
    return storage.persist(); // Firefox asks the student; Chromium and WebKit decide by themselves
  })().catch(() => false);

  function whereText(persisted) {
    if (persisted === true) return "Your work is saved in this browser only.";
    return "\u26A0 Your work is saved in this browser only, which may delete it: download it to keep it.";
  }

  function style() {
    const sheet = document.createElement("style");
    sheet.textContent = `
      .tg-homework-strip { overflow: hidden; }
      .tg-homework { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 12px; padding: 3px 12px;
                     font-size: var(--jp-ui-font-size1); color: var(--jp-ui-font-color2);
                     background: var(--jp-layout-color1); border-bottom: 1px solid var(--jp-border-color2); }
      .tg-homework[data-persisted="false"] { background: var(--jp-warn-color3, #fff3e0); }
      .tg-homework[data-persisted="false"] .tg-homework-where { color: var(--jp-ui-font-color1); }
      .tg-homework a { color: var(--jp-content-link-color, #1565c0); }
      .tg-homework button, .tg-homework-republished button {
        font: inherit; padding: 1px 8px; border: 1px solid var(--jp-border-color1); border-radius: 3px;
        background: var(--jp-layout-color1); color: var(--jp-ui-font-color1); cursor: pointer; }
      .tg-homework button:focus-visible, .tg-homework-republished button:focus-visible, .tg-homework a:focus-visible {
        outline: 2px solid var(--jp-brand-color1, #1976d2); outline-offset: 1px; }
      .tg-homework-republished { box-sizing: border-box; padding: 6px 12px; font-size: var(--jp-ui-font-size1);
        background: var(--jp-warn-color3, #fff3e0); color: var(--jp-ui-font-color1);
        border-bottom: 1px solid var(--jp-warn-color1, #f57c00); }
      .tg-homework-republished p { margin: 0 0 4px; white-space: normal; }
      .tg-homework-republished button { margin-right: 8px; }`;
    document.head.appendChild(sheet);
  }

  // Lumino's Widget class, found as the root of a widget's class chain (the bundle is minified: no names).
  function widgetClass(widget) {
    let proto = Object.getPrototypeOf(widget);
    while (Object.getPrototypeOf(proto) !== Object.prototype) proto = Object.getPrototypeOf(proto);
    return proto.constructor;
  }

  function button(label, onClick) {
    const element = document.createElement("button");
    element.type = "button";
    element.textContent = label;
    element.addEventListener("click", onClick);
    return element;
  }

  function basename(path) {
    return path.split("/").pop();
  }

  async function download(app, panel, status) {
    const path = panel.context.path;
    let content;
    try {
      await panel.context.save(); // what is downloaded is what is stored, edits of the last seconds included
      content = (await app.serviceManager.contents.get(path, { content: true })).content;
    } catch (error) {
      content = panel.context.model.toJSON(); // could not save: still give the student what is on screen
    }
    const blob = new Blob([JSON.stringify(content, null, 1) + "\n"], { type: "application/x-ipynb+json" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = basename(path);
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
    status.textContent = `Downloaded ${basename(path)}: find it in your downloads folder.`;
  }

  // A strip above the notebook (the panel's content header, which JupyterLab and the Notebook UI both have): always
  // in view, never folded away as a toolbar's items are when the window is narrow. Its height follows its text.
  function addStrip(panel, Widget, className, children) {
    const node = document.createElement("div");
    const inner = document.createElement("div");
    node.className = "tg-homework-strip";
    inner.className = className;
    inner.append(...children);
    node.append(inner);
    const strip = new Widget({ node });
    panel.contentHeader.addWidget(strip);
    const fit = () => {
      node.style.minHeight = `${Math.ceil(inner.getBoundingClientRect().height)}px`;
      panel.contentHeader.fit();
    };
    new ResizeObserver(fit).observe(inner);
    return { strip, inner };
  }

  function addWhere(app, panel, Widget) {
    const where = document.createElement("span");
    where.className = "tg-homework-where";
    where.setAttribute("role", "status");
    where.textContent = whereText(true);
    const help = document.createElement("a");
    help.href = HELP;
    help.target = "_blank";
    help.textContent = "How to hand it in";
    const save = button("Download this notebook", () => download(app, panel, where));
    save.className = "tg-homework-download";
    save.title = "Download the saved notebook (.ipynb): the file to hand in";
    const { inner } = addStrip(panel, Widget, "tg-homework", [where, help, save]);
    inner.setAttribute("role", "group");
    inner.setAttribute("aria-label", "Where your work is kept");
    persistence.then((persisted) => {
      inner.dataset.persisted = String(persisted === true);
      where.textContent = whereText(persisted);
    });
  }

  // The site's published version of `path` (from JupyterLite's listing, fetched anew), or null for a student's own file.
  async function published(path) {
    const folder = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) + "/" : "";
    const response = await fetch(new URL(`api/contents/${folder}all.json`, ROOT), { cache: "no-cache" });
    if (!response.ok) return null;
    return (await response.json()).content.find((item) => item.name === basename(path)) || null;
  }

  // JupyterLite serves a saved copy instead of the published file; the copy keeps the published file's hash from the
  // time it was first saved (JupyterLite 0.6 saves onto the model it read). A copy predating a hash: compare dates.
  function hidesANewerVersion(copy, shipped) {
    if (!shipped || copy.last_modified === shipped.last_modified) return false; // not a saved copy
    if (copy.hash) return copy.hash !== shipped.hash;
    return new Date(shipped.last_modified) > new Date(copy.last_modified);
  }

  async function openPublished(app, path, shipped) {
    const response = await fetch(new URL(`files/${path}`, ROOT), { cache: "no-cache" });
    const stem = path.replace(/\.ipynb$/, "");
    const target = `${stem} (teacher's new version).ipynb`;
    await app.serviceManager.contents.save(target, { type: "notebook", format: "json", content: await response.json() });
    localStorage.setItem(ACKNOWLEDGED + path, shipped.hash);
    await app.commands.execute("docmanager:open", { path: target });
    return target;
  }

  async function checkRepublished(app, panel, Widget) {
    const path = panel.context.path;
    const [copy, shipped] = await Promise.all([app.serviceManager.contents.get(path, { content: false }), published(path)]);
    window.tgHomeworkChecked = (window.tgHomeworkChecked || 0) + 1; // for the tests: the comparison is done
    if (!hidesANewerVersion(copy, shipped) || localStorage.getItem(ACKNOWLEDGED + path) === shipped.hash) return;
    const text = document.createElement("p");
    text.textContent = `Your teacher has published a new version of ${basename(path)} since you started ` +
      "editing it. This is your copy, with your edits; the new version is kept apart, so nothing of yours is lost.";
    const openNew = button("Open the teacher's new version", async () => {
      const target = await openPublished(app, path, shipped);
      text.textContent = `The teacher's new version is open as ${basename(target)}; this is still your copy.`;
      openNew.remove();
      keep.textContent = "Close this notice";
    });
    const keep = button("Keep only my copy", () => {
      localStorage.setItem(ACKNOWLEDGED + path, shipped.hash);
      notice.strip.dispose();
    });
    const notice = addStrip(panel, Widget, "tg-homework-republished", [text, openNew, keep]);
    notice.inner.setAttribute("role", "status");
  }

  function isNotebook(widget) {
    return widget && widget.context && widget.contentHeader && widget.context.path.endsWith(".ipynb");
  }

  async function guard(app) {
    await app.restored;
    style();
    const done = new WeakSet();
    const decorate = () => {
      for (const widget of app.shell.widgets("main")) {
        if (!isNotebook(widget) || done.has(widget)) continue;
        done.add(widget);
        const Widget = widgetClass(widget);
        addWhere(app, widget, Widget);
        widget.context.ready.then(() => checkRepublished(app, widget, Widget))
          .catch((error) => console.warn("tensorgrad homework: could not compare with the published notebook", error));
      }
    };
    app.shell.currentChanged.connect(decorate);
    if (app.shell.layoutModified) app.shell.layoutModified.connect(decorate);
    decorate();
  }

  if (document.getElementById("jupyter-lite-main")) { // a JupyterLite app page (not the landing page)
    const wait = setInterval(() => {
      if (window.jupyterapp) {
        clearInterval(wait);
        guard(window.jupyterapp);
      }
    }, 200);
  }
})();
