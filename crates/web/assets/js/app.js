// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // Forms with data-confirm ask first (inline handlers are blocked by our CSP).
  document.addEventListener("submit", function (ev) {
    var f = ev.target;
    var msg = f.getAttribute && f.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { ev.preventDefault(); }
  }, true);
  // Copy buttons: <button data-copy="#id">.
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest && ev.target.closest("[data-copy]");
    if (!b) return;
    var el = document.querySelector(b.getAttribute("data-copy"));
    if (!el) return;
    var text = el.value || el.textContent;
    if (navigator.clipboard) {
      navigator.clipboard.writeText(text).then(function () {
        var old = b.textContent; b.textContent = "✓"; setTimeout(function () { b.textContent = old; }, 1200);
      });
    } else if (el.select) { el.select(); document.execCommand("copy"); }
  });
  // The verification code field: digits only, submit when six are typed.
  document.addEventListener("input", function (ev) {
    var el = ev.target;
    if (el.name === "code" && el.dataset.autosubmit !== undefined) {
      el.value = el.value.replace(/\D/g, "").slice(0, 6);
    }
  });
})();
