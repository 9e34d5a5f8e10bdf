// What heap-audit reads from a page once it is rendered: Heap's globals, Segment's state and the
// GTM containers present. Returns a JSON string (values that cannot be copied are left out).
(function () {
  var out = { heap: null, analytics: null, containers: [] };
  function copy(value) {
    if (value === undefined) return null;
    try { return JSON.parse(JSON.stringify(value)); } catch (e) { return null; }
  }
  try {
    var h = window.heap;
    if (h) {
      out.heap = {};
      ['appid', 'config', 'envId', 'clientConfig'].forEach(function (k) {
        if (h[k] !== undefined) out.heap[k] = copy(h[k]);
      });
      out.heap.loaded = !!h.loaded;
      if (h.version !== undefined) out.heap.version = copy(h.version);
    }
  } catch (e) {}
  try {
    var a = window.analytics;
    if (a) {
      var names = [];
      if (a._integrations && typeof a._integrations === 'object') names = Object.keys(a._integrations);
      else if (a.queue && a.queue.plugins) {
        names = a.queue.plugins.filter(function (p) { return p && p.type === 'destination'; })
          .map(function (p) { return String(p.name); });
      }
      out.analytics = { initialized: !!a.initialized, integrations: names };
    }
  } catch (e) {}
  try {
    var g = window.google_tag_manager;
    if (g) out.containers = Object.keys(g).filter(function (k) { return /^GTM-/.test(k); });
  } catch (e) {}
  return JSON.stringify(out);
})()
