// Notification settings: turn Web Push on or off for this browser.
(function () {
  const card = document.getElementById("push-card");
  if (!card) return;
  const status = document.getElementById("push-status");
  const on = document.getElementById("push-on");
  const off = document.getElementById("push-off");
  const d = card.dataset;
  const headers = { "Content-Type": "application/json", "X-CSRF-Token": d.csrf };

  function show(subscribed, message) {
    status.textContent = message || (subscribed ? d.msgOn : d.msgOff);
    on.hidden = subscribed;
    off.hidden = !subscribed;
  }

  function keyBytes(b64) {
    const s = (b64 + "===".slice((b64.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  }

  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    show(false, d.msgUnsupported);
    on.disabled = true;
    return;
  }

  const ready = navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(() => navigator.serviceWorker.ready);
  ready
    .then((reg) => reg.pushManager.getSubscription())
    .then((sub) => show(!!sub))
    .catch(() => show(false));

  on.addEventListener("click", async () => {
    on.disabled = true;
    try {
      const perm = await Notification.requestPermission();
      if (perm !== "granted") {
        show(false, d.msgDenied);
        return;
      }
      const reg = await ready;
      const key = await (await fetch(d.keyUrl, { credentials: "same-origin" })).json();
      const sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key.public_key) });
      const res = await fetch(d.subUrl, { method: "POST", credentials: "same-origin", headers, body: JSON.stringify(sub.toJSON()) });
      if (!res.ok) throw new Error("subscribe " + res.status);
      show(true);
    } catch (e) {
      show(false, d.msgFailed);
    } finally {
      on.disabled = false;
    }
  });

  off.addEventListener("click", async () => {
    off.disabled = true;
    try {
      const reg = await ready;
      const sub = await reg.pushManager.getSubscription();
      if (sub) {
        await fetch(d.subUrl, { method: "DELETE", credentials: "same-origin", headers, body: JSON.stringify({ endpoint: sub.endpoint }) });
        await sub.unsubscribe();
      }
      show(false);
    } finally {
      off.disabled = false;
    }
  });
})();
