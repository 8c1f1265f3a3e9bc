// A local stand-in for Meta's fbevents.js (the demo and the browser tests run offline).
// Like the real script it takes over the fbq stub's queue; every call is recorded in
// window.__calls, in order, as {vendor, args}, so a test can read what the page called.
(function (w) {
  "use strict";
  var calls = (w.__calls = w.__calls || []);
  var fbq = w.fbq;
  function record(args) {
    calls.push({ vendor: "meta", args: Array.prototype.slice.call(args) });
  }
  if (!fbq) return;
  var queued = fbq.queue || [];
  for (var i = 0; i < queued.length; i++) record(queued[i]);
  fbq.queue = [];
  fbq.callMethod = function () {
    record(arguments);
  };
})(window);
