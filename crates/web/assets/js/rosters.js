// Rosters: live progress over SSE (EventSource), "copy as text", print. No dependencies.
(function () {
  "use strict";
  var box = document.getElementById("progress");
  if (box && window.EventSource) {
    var es = new EventSource(box.getAttribute("data-events"));
    var line = box.querySelector("polyline");
    var best = document.getElementById("best-cost");
    var draw = function (points) {
      if (!points || !points.length) return;
      var last = points[points.length - 1];
      best.textContent = String(last.cost) + (last.hard ? " (+" + last.hard + " ✗)" : "");
      var maxT = Math.max.apply(null, points.map(function (p) { return p.secs; })) || 1;
      var vals = points.map(function (p) { return p.cost + 1000 * p.hard; });
      var maxV = Math.max.apply(null, vals) || 1;
      line.setAttribute("points", points.map(function (p, i) {
        return (p.secs / maxT * 300).toFixed(1) + "," + (80 - vals[i] / maxV * 76).toFixed(1);
      }).join(" "));
    };
    es.addEventListener("progress", function (e) { draw(JSON.parse(e.data).points); });
    es.addEventListener("done", function () { es.close(); window.location.reload(); });
  }
  // The condition form shows only the fields its kind uses (hidden ones are still sent, and
  // the server ignores what a kind does not read); the weight only for soft conditions.
  var cform = document.getElementById("condition-form");
  if (cform) {
    var sync = function () {
      var kind = document.getElementById("cond-kind").value;
      var soft = document.getElementById("cond-strength").value === "soft";
      cform.querySelectorAll("[data-for]").forEach(function (el) {
        el.hidden = el.getAttribute("data-for").split(" ").indexOf(kind) < 0;
      });
      cform.querySelectorAll("[data-soft]").forEach(function (el) { el.hidden = !soft; });
    };
    cform.addEventListener("change", sync);
    sync();
  }
  // "Choose a file" reads the CSV into the text box, so it can be checked before importing.
  document.querySelectorAll("input[data-csv-file]").forEach(function (input) {
    input.addEventListener("change", function () {
      var f = input.files && input.files[0];
      if (!f) return;
      var r = new FileReader();
      r.onload = function () {
        document.querySelector(input.getAttribute("data-csv-file")).value = String(r.result);
      };
      r.readAsText(f);
    });
  });
  document.addEventListener("click", function (e) {
    var t = e.target.closest && e.target.closest("[data-copy-text]");
    if (t) {
      fetch(t.getAttribute("data-copy-text"), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (j) { return navigator.clipboard.writeText(j.text); })
        .then(function () { t.textContent = t.getAttribute("data-copied"); });
    }
    if (e.target.closest && e.target.closest("[data-print]")) window.print();
    // Clicking a grid cell fills the edit form.
    var cell = e.target.closest && e.target.closest("td[data-user]");
    var form = document.getElementById("cell-form");
    if (cell && form) {
      document.getElementById("cell-user").value = cell.getAttribute("data-user");
      document.getElementById("cell-date").value = cell.getAttribute("data-date");
      document.getElementById("cell-shift").focus();
    }
  });
})();
