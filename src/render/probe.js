// heap-audit's probe, installed in every page before any of the page's scripts run
// (Page.addScriptToEvaluateOnNewDocument). Heap's snippets assign `window.heap` and then
// `heap.load`, and Segment's classic destination replaces `heap.load` on the existing object: so
// the probe watches both assignments with accessors and wraps every `load` function given. Each
// call is reported through the console API kept from before the page could replace it; the
// DevTools protocol attaches the call's stack (with asynchronous parents) to that message, which
// is how heap-audit knows which script made the call. Nothing here changes what the page does.
(function () {
  var debug = console.debug;
  function report(data) {
    try { debug.call(console, '__heap_audit__', JSON.stringify(data)); } catch (e) { /* never break the page */ }
  }
  function copy(value) {
    if (value === undefined) return null;
    try { return JSON.parse(JSON.stringify(value)); } catch (e) { return null; }
  }
  function wrap(load) {
    if (typeof load !== 'function' || load.__heapAuditWrapped) return load;
    var wrapped = function (id, options) {
      report({ id: id === undefined || id === null ? null : String(id), options: copy(options) });
      return load.apply(this, arguments);
    };
    try { Object.defineProperty(wrapped, '__heapAuditWrapped', { value: true }); } catch (e) {}
    return wrapped;
  }
  function watch(heap) {
    if (!heap || (typeof heap !== 'object' && typeof heap !== 'function')) return;
    if (Object.prototype.hasOwnProperty.call(heap, '__heapAuditWatched')) return;
    var current = wrap(heap.load);
    try {
      Object.defineProperty(heap, '__heapAuditWatched', { value: true });
      Object.defineProperty(heap, 'load', {
        configurable: true,
        enumerable: true,
        get: function () { return current; },
        set: function (f) { current = wrap(f); }
      });
    } catch (e) { /* a frozen object: its load cannot be reassigned either */ }
  }
  var heap;
  try {
    Object.defineProperty(window, 'heap', {
      configurable: true,
      enumerable: true,
      get: function () { return heap; },
      set: function (value) { heap = value; watch(value); }
    });
  } catch (e) {}
})();
//# sourceURL=heap-audit-probe.js
