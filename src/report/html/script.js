(function () {
  "use strict";
  var ids = ["f-rule", "f-account", "f-status", "f-path"];
  var inputs = ids.map(function (id) { return document.getElementById(id); });
  function apply() {
    var rule = inputs[0].value, account = inputs[1].value, status = inputs[2].value;
    var path = inputs[3].value.toLowerCase();
    var shown = 0;
    var bodies = document.querySelectorAll("tbody.credential");
    for (var i = 0; i < bodies.length; i++) {
      var b = bodies[i], d = b.dataset;
      var ok = (!rule || d.rule === rule) &&
        (!account || d.account === account) &&
        (!status || d.status === status || (status === "covered" && d.covered === "yes") ||
          (status === "at-tip" && d.tip === "yes")) &&
        (!path || d.paths.toLowerCase().indexOf(path) >= 0);
      b.hidden = !ok;
      if (ok) { shown++; }
    }
    document.getElementById("shown").textContent = String(shown);
  }
  // Filters can be given in the address: report.html#rule=…&account=…&status=…&path=…
  var given = new URLSearchParams(location.hash.slice(1));
  ["rule", "account", "status", "path"].forEach(function (name, i) {
    var v = given.get(name);
    if (v === null) { return; }
    var el = inputs[i];
    if (el.tagName === "SELECT") {
      for (var j = 0; j < el.options.length; j++) {
        if (el.options[j].value === v) { el.value = v; }
      }
    } else {
      el.value = v;
    }
  });
  inputs.forEach(function (el) {
    el.addEventListener("input", apply);
    el.addEventListener("change", apply);
  });
  apply();
  document.documentElement.setAttribute("data-filters", "ready");
})();
