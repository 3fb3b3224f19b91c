// Rosters: live progress over SSE (EventSource), "copy as text", print. No dependencies.
(function () {
  "use strict";
  var box = document.getElementById("progress");
  if (box && window.EventSource) {
    var es = new EventSource(box.getAttribute("data-events"));
    if (window.moimStream) window.moimStream(es);
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
    // A better complete roster is ready: fetch its grid and swap it in. At most one fetch at
    // a time and one every 500 ms; a roster announced meanwhile is fetched after.
    var live = document.getElementById("live-roster");
    var busy = false, again = false, last = 0;
    var fetchLive = function () {
      if (busy) { again = true; return; }
      var wait = 500 - (Date.now() - last);
      if (wait > 0) { busy = true; setTimeout(function () { busy = false; fetchLive(); }, wait); return; }
      busy = true; again = false; last = Date.now();
      fetch(live.getAttribute("data-live"), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html !== null) {
            live.innerHTML = html;
            live.setAttribute("data-seq", String(Number(live.getAttribute("data-seq") || 0) + 1));
            var note = document.getElementById("live-note");
            if (note) note.hidden = false;
          }
        })
        .catch(function () {})
        .then(function () { busy = false; if (again) fetchLive(); });
    };
    if (live) es.addEventListener("roster", fetchLive);
    es.addEventListener("done", function () { es.close(); window.location.reload(); });
  }
  // Condition forms (adding one, and editing each in place) show only the fields their kind
  // uses (hidden ones are still sent, and the server ignores what a kind does not read); the
  // weight only for soft conditions.
  document.querySelectorAll("form.condition-form").forEach(function (cform) {
    var sync = function () {
      var kind = cform.querySelector("[name=kind]").value;
      var soft = cform.querySelector("[name=strength]").value === "soft";
      cform.querySelectorAll("[data-for]").forEach(function (el) {
        el.hidden = el.getAttribute("data-for").split(" ").indexOf(kind) < 0;
      });
      cform.querySelectorAll("[data-soft]").forEach(function (el) { el.hidden = !soft; });
    };
    cform.addEventListener("change", sync);
    sync();
  });
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
    var cv = e.target.closest && e.target.closest("[data-copy-value]");
    if (cv) {
      var input = document.querySelector(cv.getAttribute("data-copy-value"));
      input.select();
      navigator.clipboard.writeText(input.value)
        .then(function () { cv.textContent = cv.getAttribute("data-copied"); });
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
