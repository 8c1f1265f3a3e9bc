// A local stand-in for Google's gtag.js (the demo and the browser tests run offline).
// Like the real script it reads window.dataLayer, then keeps listening to it; every
// command is recorded in window.__calls, in order, as {vendor, args}.
(function (w) {
  "use strict";
  var calls = (w.__calls = w.__calls || []);
  var dataLayer = (w.dataLayer = w.dataLayer || []);
  function record(entry) {
    var args = entry && typeof entry.length === "number" ? Array.prototype.slice.call(entry) : [entry];
    calls.push({ vendor: "google", args: args });
  }
  for (var i = 0; i < dataLayer.length; i++) record(dataLayer[i]);
  var push = dataLayer.push;
  dataLayer.push = function () {
    for (var j = 0; j < arguments.length; j++) record(arguments[j]);
    return push.apply(dataLayer, arguments);
  };
})(window);
