// Meetup pages. Everything here is an enhancement: without JavaScript (or without map tiles)
// the pages show the address, the coordinates and the route points as text, and the host form
// takes route points typed as "lat,lng" lines and an uploaded photo's URL.
//
// - Host form: a chosen photo is uploaded to /api/v1/media (same session, CSRF header) and its
//   URL put into the first empty image field; clicking the map adds route points (the textarea
//   stays the source of truth, the server recomputes the distance).
// - Detail: the meeting point and the route on a map.
// - List: a list/map toggle; the map shows a marker per meetup card loaded so far.
(function () {
  "use strict";

  var csrf = "";
  try { csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || ""; } catch (e) {}

  // --- photo upload ------------------------------------------------------------------------
  var photo = document.getElementById("photo");
  var status = document.getElementById("photo-status");
  if (photo) {
    photo.addEventListener("change", function () {
      var file = photo.files && photo.files[0];
      if (!file) return;
      var slots = document.querySelectorAll("input.image-slot");
      var field = null;
      for (var i = 0; i < slots.length; i++) { if (!slots[i].value) { field = slots[i]; break; } }
      if (!field) field = slots[slots.length - 1];
      if (!field) return;
      var form = new FormData();
      form.append("file", file);
      if (status) { status.removeAttribute("data-testid"); status.textContent = status.getAttribute("data-uploading") || "…"; }
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
  }

  // --- maps --------------------------------------------------------------------------------
  if (typeof window.L === "undefined") return; // Leaflet not loaded: the text stays.
  var L = window.L;
  var SEOUL = [37.5665, 126.978];

  // The same great-circle distance the server uses (metres).
  function distance(a, b) {
    var R = 6371000, rad = Math.PI / 180;
    var la1 = a[0] * rad, la2 = b[0] * rad, dla = la2 - la1, dlo = (b[1] - a[1]) * rad;
    var h = Math.pow(Math.sin(dla / 2), 2) + Math.cos(la1) * Math.cos(la2) * Math.pow(Math.sin(dlo / 2), 2);
    return 2 * R * Math.asin(Math.sqrt(h));
  }
  function length(points) {
    var d = 0;
    for (var i = 1; i < points.length; i++) d += distance(points[i - 1], points[i]);
    return d;
  }
  function km(m) { return (m / 1000).toFixed(2) + " km"; }

  // A map in `el` with the configured tiles. A tile that fails to load shows a short note
  // (the address and coordinates are on the page as text).
  function makeMap(el) {
    var tiles = el.getAttribute("data-tiles");
    if (!tiles) return null;
    el.hidden = false;
    var map = L.map(el, { scrollWheelZoom: false });
    var osm = tiles.indexOf("openstreetmap.org") >= 0;
    var layer = L.tileLayer(tiles, {
      maxZoom: 19,
      attribution: osm ? '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>' : ""
    });
    var warned = false;
    layer.on("tileerror", function () {
      if (warned) return;
      warned = true;
      var p = document.createElement("p");
      p.className = "map-offline";
      p.setAttribute("role", "status");
      p.setAttribute("data-testid", "map-offline");
      p.textContent = el.getAttribute("data-offline") || "";
      el.appendChild(p);
    });
    layer.addTo(map);
    return map;
  }

  function dot(latlng, strong) {
    return L.circleMarker(latlng, {
      radius: strong ? 8 : 5, color: "#174b35", weight: 2,
      fillColor: strong ? "#2d6a4f" : "#ffffff", fillOpacity: 1
    });
  }

  // Detail page: the meeting point and the route.
  var detail = document.getElementById("meetup-map");
  if (detail) {
    var dmap = makeMap(detail);
    if (dmap) {
      var here = [parseFloat(detail.getAttribute("data-lat")), parseFloat(detail.getAttribute("data-lng"))];
      var route = [];
      try { route = JSON.parse(detail.getAttribute("data-route") || "[]"); } catch (e) {}
      dot(here, true).addTo(dmap).bindTooltip(detail.getAttribute("data-title") || "");
      if (route.length > 1) {
        var line = L.polyline(route, { color: "#2d6a4f", weight: 4 }).addTo(dmap);
        dot(route[route.length - 1], false).addTo(dmap);
        // Extra room at the top for the note when tiles fail, at the bottom for the attribution.
        dmap.fitBounds(line.getBounds().extend(here), { paddingTopLeft: [24, 56], paddingBottomRight: [24, 40] });
      } else {
        dmap.setView(here, 15);
      }
    }
  }

  // Host form: click to add route points.
  var editor = document.getElementById("route-map");
  var text = document.getElementById("route");
  if (editor && text) {
    var box = document.getElementById("route-editor");
    if (box) box.hidden = false;
    var emap = makeMap(editor);
    if (emap) {
      var out = document.getElementById("route-distance");
      var layer = L.layerGroup().addTo(emap);
      var parse = function () {
        return text.value.split("\n").map(function (l) {
          var p = l.split(",");
          return p.length === 2 ? [parseFloat(p[0]), parseFloat(p[1])] : null;
        }).filter(function (p) { return p && isFinite(p[0]) && isFinite(p[1]); });
      };
      var draw = function () {
        var pts = parse();
        layer.clearLayers();
        if (pts.length > 1) L.polyline(pts, { color: "#2d6a4f", weight: 4 }).addTo(layer);
        pts.forEach(function (p, i) { dot(p, i === 0).addTo(layer); });
        if (out) out.textContent = km(length(pts));
        return pts;
      };
      var write = function (pts) {
        text.value = pts.map(function (p) { return p[0].toFixed(6) + "," + p[1].toFixed(6); }).join("\n");
        draw();
      };
      var start = draw();
      var lat = parseFloat((document.getElementById("lat") || {}).value);
      var lng = parseFloat((document.getElementById("lng") || {}).value);
      if (start.length > 1) emap.fitBounds(L.latLngBounds(start), { paddingTopLeft: [24, 56], paddingBottomRight: [24, 40] });
      else if (start.length === 1) emap.setView(start[0], 15);
      else if (isFinite(lat) && isFinite(lng)) emap.setView([lat, lng], 15);
      else emap.setView(SEOUL, 13);
      emap.on("click", function (ev) {
        var pts = parse();
        pts.push([ev.latlng.lat, ev.latlng.lng]);
        write(pts);
      });
      text.addEventListener("input", draw);
      var undo = document.getElementById("route-undo");
      if (undo) undo.addEventListener("click", function () { var pts = parse(); pts.pop(); write(pts); });
      var clear = document.getElementById("route-clear");
      if (clear) clear.addEventListener("click", function () { write([]); });
    }
  }

  // List: toggle between the cards and a map of them.
  var listMap = document.getElementById("meetups-map");
  var list = document.getElementById("meetup-list");
  var row = document.getElementById("view-toggle-row");
  if (listMap && list && row) {
    row.hidden = false;
    var showList = document.getElementById("show-list");
    var showMap = document.getElementById("show-map");
    var lmap = null, markers = null;
    var show = function (asMap) {
      showList.setAttribute("aria-pressed", asMap ? "false" : "true");
      showMap.setAttribute("aria-pressed", asMap ? "true" : "false");
      list.hidden = asMap;
      if (!asMap) { listMap.hidden = true; return; }
      if (!lmap) { lmap = makeMap(listMap); markers = L.featureGroup().addTo(lmap); }
      listMap.hidden = false;
      markers.clearLayers();
      var cards = list.querySelectorAll("[data-testid=meetup-card]");
      for (var i = 0; i < cards.length; i++) {
        var c = cards[i];
        var p = [parseFloat(c.getAttribute("data-lat")), parseFloat(c.getAttribute("data-lng"))];
        if (!isFinite(p[0]) || !isFinite(p[1])) continue;
        var a = document.createElement("a");
        a.href = c.getAttribute("href");
        a.textContent = c.getAttribute("data-title") || a.href;
        dot(p, true).addTo(markers).bindPopup(a);
      }
      lmap.invalidateSize();
      if (markers.getLayers().length) lmap.fitBounds(markers.getBounds(), { paddingTopLeft: [32, 32], paddingBottomRight: [32, 64], maxZoom: 15 });
      else lmap.setView(SEOUL, 11);
    };
    showList.addEventListener("click", function () { show(false); });
    showMap.addEventListener("click", function () { show(true); });
  }
})();
