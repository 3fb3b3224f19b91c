// moim's service worker: shows Web Push notifications and opens their link when clicked.
// Served from /sw.js so its scope is the whole site. Payload: {id, title, body, url, tag}.
self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (_) {
    data = { title: "moim", body: event.data ? event.data.text() : "" };
  }
  const title = data.title || "moim";
  event.waitUntil(
    self.registration.showNotification(title, {
      body: data.body || "",
      tag: data.tag || data.id || undefined,
      data: { url: data.url || "/notifications" },
    })
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const path = (event.notification.data && event.notification.data.url) || "/notifications";
  // Only paths inside moim are opened.
  const url = new URL(path.startsWith("/") && !path.startsWith("//") ? path : "/notifications", self.location.origin);
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((wins) => {
      for (const w of wins) {
        if (w.url === url.href && "focus" in w) return w.focus();
      }
      return self.clients.openWindow(url.href);
    })
  );
});
