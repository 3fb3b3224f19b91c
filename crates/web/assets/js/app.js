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
    var done = function () {
      var old = b.textContent; b.textContent = "✓"; b.disabled = true;
      setTimeout(function () { b.textContent = old; b.disabled = false; }, 1200);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done);
    } else if (el.select) { el.select(); document.execCommand("copy"); done(); }
  });
  // The account menu on small screens. Without this script the toggle is a link to #main-nav
  // and CSS :target opens the menu; with it, the toggle opens and closes in place.
  var toggle = document.querySelector("[data-menu-toggle]");
  var menu = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
  if (toggle && menu) {
    var setOpen = function (open) {
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("open", open);
    };
    toggle.addEventListener("click", function (ev) {
      ev.preventDefault();
      setOpen(toggle.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") { setOpen(false); toggle.focus(); }
    });
    document.addEventListener("click", function (ev) {
      if (toggle.getAttribute("aria-expanded") === "true" && !menu.contains(ev.target) && !toggle.contains(ev.target)) { setOpen(false); }
    });
  }
  // The verification code field: digits only, at most six.
  document.addEventListener("input", function (ev) {
    var el = ev.target;
    if (el.name === "code" && el.dataset.autosubmit !== undefined) {
      el.value = el.value.replace(/\D/g, "").slice(0, 6);
    }
  });
  // Event streams and the back/forward cache: Chromium keeps a page it caches with its event
  // streams still open, and a browser opens at most six HTTP/1.1 connections to one origin, so
  // after six pages every request waited about a minute for a connection. Streams (htmx's, and
  // pages' own through `moimStream`) close when the page is hidden; a page restored from the
  // cache reloads, which reconnects them and shows what changed meanwhile.
  var streams = [];
  window.moimStream = function (s) { streams.push(s); return s; };
  if (window.htmx && htmx.createEventSource) {
    var open = htmx.createEventSource;
    htmx.createEventSource = function (url) { return window.moimStream(open(url)); };
  }
  window.addEventListener("pagehide", function () {
    streams.forEach(function (s) { s.close(); });
  });
  window.addEventListener("pageshow", function (ev) {
    if (ev.persisted) window.location.reload();
  });
})();
