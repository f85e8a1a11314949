
// tensorgrad: the end of viz.js, replaced. Start one Graphviz instance per page and park its promise
// where every GraphView looks for it (graphview.js creates the same slot if it runs first).
const slot = (globalThis.__tensorgradViz ??= {});
slot.promise ??= new Promise((resolve) => { slot.resolve = resolve; });
if (!slot.started) {
  slot.started = true;
  instance().then((viz) => slot.resolve(viz), (error) => slot.resolve({ error }));
}
export default { render() {} };
