// remarket's engagement beacon: posts the seconds a page was visible to remarket's collect
// endpoint when the page is hidden or left, for "spent at least S seconds" audiences.
// Loaded by {% remarket_head %} only for visitors who gave retargeting consent.
(function () {
  "use strict";
  var script = document.currentScript;
  var url = script && script.getAttribute("data-collect");
  if (!url || !navigator.sendBeacon) return;
  var visibleSince = document.visibilityState === "visible" ? Date.now() : null;
  var visibleMs = 0;
  var sent = 0;

  function flush() {
    if (visibleSince !== null) {
      visibleMs += Date.now() - visibleSince;
      visibleSince = null;
    }
    var seconds = Math.floor(visibleMs / 1000) - sent;
    if (seconds >= 1) {
      sent += seconds;
      navigator.sendBeacon(url, JSON.stringify({ seconds: seconds }));
    }
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      flush();
    } else if (visibleSince === null) {
      visibleSince = Date.now();
    }
  });
  window.addEventListener("pagehide", flush);
})();
