// Course form: each chosen photo is uploaded to /api/v1/media (same session, CSRF header) and
// its URL put into the first empty photo field (three at most). Without JavaScript the fields
// take uploaded URLs directly.
(function () {
  "use strict";
  var input = document.getElementById("photo");
  var status = document.getElementById("photo-status");
  var fields = Array.prototype.slice.call(document.querySelectorAll("input.image-url"));
  if (!input || fields.length === 0) return;
  var csrf = "";
  try { csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || ""; } catch (e) {}
  function say(key, fallback) { if (status) status.textContent = status.getAttribute(key) || fallback; }
  input.addEventListener("change", function () {
    var file = input.files && input.files[0];
    if (!file) return;
    var slot = fields.filter(function (f) { return !f.value.trim(); })[0];
    if (!slot) { say("data-full", "3"); return; }
    var form = new FormData();
    form.append("file", file);
    say("data-uploading", "…");
    fetch("/api/v1/media", { method: "POST", body: form, credentials: "same-origin", headers: { "X-CSRF-Token": csrf } })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, j: j }; }); })
      .then(function (res) {
        if (res.ok) {
          slot.value = res.j.url_medium;
          input.value = "";
          say("data-done", "OK");
          if (status) status.setAttribute("data-testid", "photo-done");
        } else if (status) {
          status.textContent = (res.j.errors && res.j.errors[0] && res.j.errors[0].message) || res.j.detail || res.j.code;
        }
      })
      .catch(function () { say("data-failed", "!"); });
  });
})();
