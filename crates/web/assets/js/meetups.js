// Host form: a chosen photo is uploaded to /api/v1/media (same session, CSRF header) and its
// URL put into the form's image field. Without JavaScript the field takes an uploaded URL.
(function () {
  "use strict";
  var input = document.getElementById("photo");
  var field = document.getElementById("image");
  var status = document.getElementById("photo-status");
  if (!input || !field) return;
  var csrf = "";
  try { csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || ""; } catch (e) {}
  input.addEventListener("change", function () {
    var file = input.files && input.files[0];
    if (!file) return;
    var form = new FormData();
    form.append("file", file);
    if (status) status.textContent = status.getAttribute("data-uploading") || "…";
    fetch("/api/v1/media", { method: "POST", body: form, credentials: "same-origin", headers: { "X-CSRF-Token": csrf } })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, j: j }; }); })
      .then(function (res) {
        if (res.ok) {
          field.value = res.j.url_medium;
          if (status) { status.textContent = status.getAttribute("data-done") || "OK"; status.setAttribute("data-testid", "photo-done"); }
        } else if (status) {
          status.textContent = (res.j.errors && res.j.errors[0] && res.j.errors[0].message) || res.j.detail || res.j.code;
        }
      })
      .catch(function () { if (status) status.textContent = status.getAttribute("data-failed") || "!"; });
  });
})();
