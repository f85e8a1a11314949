// GraphView's front end: draw the DOT once with Graphviz-in-WebAssembly, then patch the SVG in place.
// Python sends {kind: "state", current, done, fields} messages holding only what changed; the view
// keeps the whole state, so a message that arrives before the drawing is applied once it exists.

const SLOT = /^(data |grad )?@([DG])(\d+)L(\d+)@Q*$/;   // a number line laid out by viz.widget_dot
const HEAT = /^@H([DG])(\d+)L(\d+)@Q*$/;                // a heatmap line
const HEATMAP_WIDTH = 24;                               // characters, as in viz.py
const MARGIN = 24, MIN_READABLE = 0.5, MIN_FOCUS_SCALE = 0.3, MIN_SCALE = 0.05, MAX_SCALE = 4;

function graphviz() {  // the instance the hidden _VizRuntime widget starts (viz_loader.js)
  const slot = (globalThis.__tensorgradViz ??= {});
  slot.promise ??= new Promise((resolve) => { slot.resolve = resolve; });
  return slot.promise;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function heatColour(v) {  // -9..9: red for negative, blue for positive, white for zero
  const t = Math.min(Math.abs(v), 9) / 9;
  const [r, g, b] = v < 0 ? [178, 24, 43] : [33, 102, 172];
  const mix = (c) => Math.round(255 + (c - 255) * t);
  return `rgb(${mix(r)},${mix(g)},${mix(b)})`;
}

function index(svg) {
  // Name every node group data-node="n<i>" (ops: data-op), find the number slots, heatmap areas and edges.
  const nodes = new Map(), ops = new Map(), slots = new Map(), heats = new Map(), edges = [];
  for (const g of svg.querySelectorAll("g.node")) {
    const name = g.querySelector("title")?.textContent ?? "";
    if (/^n\d+$/.test(name)) { g.dataset.node = name; nodes.set(name, g); }
    else if (/^n\d+_op$/.test(name)) { g.dataset.op = name.slice(0, -3); ops.set(name.slice(0, -3), g); }
    for (const text of g.querySelectorAll("text")) {
      let m = SLOT.exec(text.textContent);
      if (m) {
        const key = `${m[3]}${m[2]}`;
        if (!slots.has(key)) slots.set(key, []);
        slots.get(key)[+m[4]] = { text, prefix: m[1] ?? "" };
        text.textContent = m[1] ?? "";
      } else if ((m = HEAT.exec(text.textContent))) {
        const key = `${m[2]}${m[1]}`;
        if (!heats.has(key)) heats.set(key, { texts: [], g });
        heats.get(key).texts[+m[3]] = text;
        text.textContent = "";
      }
    }
  }
  for (const g of svg.querySelectorAll("g.edge")) {
    const [tail, head] = (g.querySelector("title")?.textContent ?? "").split("->");
    Object.assign(g.dataset, { tail, head });
    edges.push({ g, tail, head });
  }
  for (const title of svg.querySelectorAll("title")) title.remove();  // ours is the tooltip
  const areas = new Map();
  for (const [key, { texts, g }] of heats) {  // the rectangle the placeholder lines took
    const first = texts[0], last = texts[texts.length - 1];
    const size = parseFloat(first.getAttribute("font-size")) || 14;
    const x = parseFloat(first.getAttribute("x")), top = parseFloat(first.getAttribute("y")) - 0.8 * size;
    const area = document.createElementNS("http://www.w3.org/2000/svg", "g");
    area.setAttribute("class", "tg-heat");
    g.append(area);
    areas.set(key, { area, x, y: top, width: HEATMAP_WIDTH * 0.6 * size,
                     height: parseFloat(last.getAttribute("y")) + 0.25 * size - top });
  }
  return { nodes, ops, slots, areas, edges };
}

function drawHeat({ area, x, y, width, height }, grid) {
  area.replaceChildren();
  if (!grid) return;
  const rows = grid.length, cols = grid[0].length, w = width / cols, h = height / rows;
  grid.forEach((row, r) => row.forEach((v, c) => {
    const cell = document.createElementNS("http://www.w3.org/2000/svg", "rect");
    for (const [k, val] of Object.entries({ x: x + c * w, y: y + r * h, width: w, height: h, fill: heatColour(v) })) {
      cell.setAttribute(k, val);
    }
    area.append(cell);
  }));
}

function render({ model, el }) {
  el.classList.add("tg-graphview");
  el.tabIndex = 0;
  const toolbar = element("div", "tg-toolbar");
  const buttons = { "tg-zoom-in": "+", "tg-zoom-out": "\u2212", "tg-fit": "fit" };
  for (const [name, label] of Object.entries(buttons)) {
    const button = element("button", `tg-button ${name}`, label);
    button.type = "button";
    button.title = { "tg-zoom-in": "zoom in", "tg-zoom-out": "zoom out", "tg-fit": "show the whole graph" }[name];
    toolbar.append(button);
  }
  const viewport = element("div", "tg-viewport");
  viewport.style.height = `${model.get("height")}px`;
  const stage = element("div", "tg-stage");
  const status = element("div", "tg-status", "drawing the graph\u2026");
  const tip = element("div", "tg-tooltip");
  viewport.append(stage, status, tip);
  el.append(toolbar, viewport);

  const state = { current: null, done: new Set(), fields: {} };
  const view = { s: 1, x: 0, y: 0 };
  let drawn = null, size = null;
  let preferred = 1;  // the scale the reader chose (or the first view's): focus zooms out from it only as needed

  const place = () => { stage.style.transform = `translate(${view.x}px, ${view.y}px) scale(${view.s})`; };
  const zoomAt = (factor, px, py) => {
    const s = Math.min(MAX_SCALE, Math.max(MIN_SCALE, view.s * factor));
    view.x = px - (px - view.x) * s / view.s;
    view.y = py - (py - view.y) * s / view.s;
    view.s = preferred = s;
    place();
  };
  const fit = () => {
    const vw = viewport.clientWidth, vh = viewport.clientHeight;
    view.s = preferred = Math.min(1, (vw - 2 * MARGIN) / size.w, (vh - 2 * MARGIN) / size.h);
    view.x = (vw - size.w * view.s) / 2;
    view.y = (vh - size.h * view.s) / 2;
    place();
  };

  function box(groups) {  // the groups' union, in the stage's own (unscaled) coordinates
    const v = viewport.getBoundingClientRect();
    let left = Infinity, top = Infinity, right = -Infinity, bottom = -Infinity;
    for (const g of groups) {
      const r = g.getBoundingClientRect();
      left = Math.min(left, (r.left - v.left - view.x) / view.s);
      top = Math.min(top, (r.top - v.top - view.y) / view.s);
      right = Math.max(right, (r.right - v.left - view.x) / view.s);
      bottom = Math.max(bottom, (r.bottom - v.top - view.y) / view.s);
    }
    return { left, top, right, bottom, w: right - left, h: bottom - top };
  }

  function focus() {
    // Bring the current node, its op and as many of its parents as fit into view, zooming out if needed.
    const name = state.current ?? `n${drawn.nodes.size - 1}`;  // before the first step: the output
    const own = [drawn.nodes.get(name), drawn.ops.get(name)].filter(Boolean);
    if (!own.length) return;
    const vw = viewport.clientWidth - 2 * MARGIN, vh = viewport.clientHeight - 2 * MARGIN;
    const here = box(own);
    const distance = (g) => { const r = box([g]); return Math.hypot(r.left + r.right - here.left - here.right,
                                                                      r.top + r.bottom - here.top - here.bottom); };
    const parents = drawn.edges.filter((e) => e.head === `${name}_op` && drawn.nodes.has(e.tail))
      .map((e) => drawn.nodes.get(e.tail)).sort((p, q) => distance(p) - distance(q));
    let groups = own;
    for (const parent of parents) {  // nearest first, each while the whole still fits at a legible size
      const wider = [...groups, parent], b = box(wider);
      if (b.w * MIN_FOCUS_SCALE <= vw && b.h * MIN_FOCUS_SCALE <= vh) groups = wider;
    }
    const b = box(groups);
    const s = Math.max(Math.min(preferred, vw / b.w, vh / b.h), MIN_SCALE);
    const left = view.x + b.left * s, top = view.y + b.top * s;
    const inside = s === view.s && left >= MARGIN && top >= MARGIN && left + b.w * s <= vw + MARGIN
      && top + b.h * s <= vh + MARGIN;
    view.s = s;
    if (!inside) {
      view.x = viewport.clientWidth / 2 - (b.left + b.w / 2) * s;
      view.y = viewport.clientHeight / 2 - (b.top + b.h / 2) * s;
    }
    place();
  }

  function patch(fieldIds) {
    const { nodes, ops, slots, areas, edges } = drawn;
    for (const id of fieldIds) {
      const f = state.fields[id];
      for (const [F, lines] of [["D", f.data], ["G", f.grad]]) {
        (slots.get(`${id}${F}`) ?? []).forEach((slot, k) => { slot.text.textContent = slot.prefix + (lines?.[k] ?? ""); });
      }
      for (const [F, grid] of [["D", f.dheat], ["G", f.gheat]]) {
        const area = areas.get(`${id}${F}`);
        if (area) drawHeat(area, grid);
      }
    }
    const selected = model.get("selected_node");
    for (const [name, g] of nodes) {
      g.classList.toggle("tg-done", state.done.has(+name.slice(1)));
      g.classList.toggle("tg-current", name === state.current);
      g.classList.toggle("tg-selected", name === selected);
    }
    for (const [name, g] of ops) g.classList.toggle("tg-current", name === state.current);
    for (const edge of edges) {
      edge.g.classList.toggle("tg-flow", state.current !== null && (edge.head === `${state.current}_op`
        || (edge.tail === `${state.current}_op` && edge.head === state.current)));
    }
  }

  function onMessage(msg) {
    if (msg?.kind !== "state") return;
    if ("current" in msg) state.current = msg.current;
    if ("done" in msg) state.done = new Set(msg.done);
    for (const [id, f] of Object.entries(msg.fields ?? {})) state.fields[id] = { ...state.fields[id], ...f };
    if (!drawn) return;
    const began = performance.now();
    patch(Object.keys(msg.fields ?? {}));
    if ("current" in msg) focus();
    el.dataset.patchMs = (performance.now() - began).toFixed(2);  // read by the benchmark
  }
  model.on("msg:custom", onMessage);
  const onSelected = () => drawn && patch([]);
  model.on("change:selected_node", onSelected);

  const shown = () => new Promise((resolve) => {  // a view is often drawn before it is on the page
    if (viewport.clientWidth > 0) { resolve(); return; }
    const watch = new ResizeObserver(() => { if (viewport.clientWidth > 0) { watch.disconnect(); resolve(); } });
    watch.observe(viewport);
  });

  async function draw() {
    const viz = await graphviz();
    if (viz.error) throw viz.error;
    const svg = viz.renderSVGElement(model.get("dot"));
    await shown();
    drawn = index(svg);
    stage.replaceChildren(svg);
    status.remove();
    size = { w: svg.width.baseVal.value, h: svg.height.baseVal.value };
    patch(Object.keys(state.fields));
    initialView();
    el.dataset.drawn = "true";
  }

  let touched = false;  // once the reader pans or zooms, the view is theirs
  function initialView() {
    // A Value's graph: readable size, the whole width if it fits, the current node (or output) in view.
    // A bare DOT drawing (draw_dot without `dot`): the whole width, as a static SVG image would show it.
    const whole = Math.min(1, (viewport.clientWidth - 2 * MARGIN) / size.w);
    view.s = preferred = model.get("info").length ? Math.max(MIN_READABLE, whole) : whole;
    const fits = size.h * view.s + 2 * MARGIN;  // a small graph gets a smaller area, never a taller one
    viewport.style.height = `${Math.max(160, Math.min(model.get("height"), fits))}px`;
    view.x = MARGIN;
    view.y = Math.max(MARGIN, (viewport.clientHeight - size.h * view.s) / 2);
    place();
    focus();
  }
  let width = 0;
  const resized = new ResizeObserver(() => {  // notebooks often settle their width after drawing
    if (viewport.clientWidth === width) return;
    width = viewport.clientWidth;
    if (drawn && !touched && width > 0) initialView();
  });
  resized.observe(viewport);
  const failed = (error) => { status.textContent = `could not draw the graph: ${error}`; viewport.append(status); };
  draw().catch(failed);
  const onDot = () => {  // a graph of another structure: lay it out anew, then ask for its whole state
    drawn = null;
    Object.assign(state, { current: null, done: new Set(), fields: {} });
    model.send({ kind: "ready" });
    draw().catch(failed);
  };
  model.on("change:dot", onDot);

  // interaction: buttons, wheel, drag to pan, hover for a tooltip, click to select, arrows to step
  toolbar.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button || !size) return;
    touched = true;
    const cx = viewport.clientWidth / 2, cy = viewport.clientHeight / 2;
    if (button.classList.contains("tg-zoom-in")) zoomAt(1.25, cx, cy);
    else if (button.classList.contains("tg-zoom-out")) zoomAt(0.8, cx, cy);
    else fit();
  });
  viewport.addEventListener("wheel", (event) => {
    if (!size) return;
    event.preventDefault();
    touched = true;
    const v = viewport.getBoundingClientRect();
    zoomAt(Math.exp(-event.deltaY * 0.0015), event.clientX - v.left, event.clientY - v.top);
  }, { passive: false });
  let drag = null;
  viewport.addEventListener("pointerdown", (event) => {
    drag = { x: event.clientX, y: event.clientY, vx: view.x, vy: view.y, moved: false,
             node: event.target.closest?.("[data-node]") };
  });
  viewport.addEventListener("pointermove", (event) => {
    if (drag && (event.buttons & 1)) {
      const dx = event.clientX - drag.x, dy = event.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
      if (drag.moved) { touched = true; view.x = drag.vx + dx; view.y = drag.vy + dy; place(); viewport.classList.add("tg-dragging"); }
    }
    showTip(event);
  });
  const endDrag = () => {
    if (drag && !drag.moved && drag.node) {
      model.set("selected_node", drag.node.dataset.node);
      model.save_changes();
      patch([]);
    }
    drag = null;
    viewport.classList.remove("tg-dragging");
  };
  viewport.addEventListener("pointerup", endDrag);
  viewport.addEventListener("pointerleave", () => { drag = null; tip.style.display = "none"; viewport.classList.remove("tg-dragging"); });

  function showTip(event) {
    const g = event.target.closest?.("[data-node]");
    const info = g && model.get("info")[+g.dataset.node.slice(1)];
    if (!info || (drag && drag.moved)) { tip.style.display = "none"; return; }
    const f = state.fields[g.dataset.node.slice(1)] ?? {};
    tip.replaceChildren(
      element("b", "", info.label || "(no label)"), element("span", "", ` ${info.shape} ${info.dtype}`),
      element("div", "tg-tip-name", "data"), element("pre", "", f.dtip ?? ""),
      element("div", "tg-tip-name", "grad"), element("pre", "", f.gtip ?? "not tracked"));
    const v = viewport.getBoundingClientRect();
    tip.style.display = "block";
    tip.style.left = `${Math.min(event.clientX - v.left + 14, viewport.clientWidth - tip.offsetWidth - 4)}px`;
    tip.style.top = `${Math.min(event.clientY - v.top + 14, viewport.clientHeight - tip.offsetHeight - 4)}px`;
  }

  let keyHost = el;
  const onKey = (event) => {
    if (!["ArrowLeft", "ArrowRight"].includes(event.key) || /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName)) return;
    event.preventDefault();
    model.send({ kind: "key", key: event.key });
  };
  const frame = requestAnimationFrame(() => {  // attached by now: listen on the stepper around us, if any
    keyHost = el.closest(".tensorgrad-stepper") ?? el;
    keyHost.addEventListener("keydown", onKey);
  });
  model.send({ kind: "ready" });  // the Python side answers with the whole state

  return () => {
    cancelAnimationFrame(frame);
    resized.disconnect();
    keyHost.removeEventListener("keydown", onKey);
    model.off("msg:custom", onMessage);
    model.off("change:selected_node", onSelected);
    model.off("change:dot", onDot);
  };
}

export default { render };
