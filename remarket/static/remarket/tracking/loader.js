// remarket's no-inline loader (REMARKET["NO_INLINE"] = True): the page carries only JSON
// data blocks, which a Content-Security-Policy never executes. This static script loads the
// providers' queue stubs, replays every call of every block in document order, then loads
// the vendor scripts. It evaluates no string as code.
(function () {
  "use strict";
  var main = document.getElementById("remarket-data");
  if (!main) return;
  var data = JSON.parse(main.textContent);

  function target(path) {
    var owner = window;
    var value = window;
    var parts = path.split(".");
    for (var i = 0; i < parts.length; i++) {
      owner = value;
      value = value == null ? undefined : value[parts[i]];
    }
    return { owner: owner, fn: value };
  }

  function replay(calls) {
    for (var i = 0; i < calls.length; i++) {
      var found = target(calls[i][0]);
      if (typeof found.fn === "function") found.fn.apply(found.owner, calls[i][1]);
    }
  }

  function addScript(src, onload) {
    var element = document.createElement("script");
    element.src = src;
    element.async = true;
    if (onload) element.onload = onload;
    document.head.appendChild(element);
  }

  function run() {
    replay(data.calls || []);
    var blocks = document.querySelectorAll('script[type="application/json"][data-remarket]');
    for (var i = 0; i < blocks.length; i++) {
      if (blocks[i] !== main) replay(JSON.parse(blocks[i].textContent).calls || []);
    }
    var scripts = data.scripts || [];
    for (var j = 0; j < scripts.length; j++) addScript(scripts[j]);
  }

  if (data.stubs) {
    addScript(data.stubs, run);
  } else {
    run();
  }
})();
