/* global document, window, navigator, fetch, DOMParser, L */
// The ride page, when JavaScript runs: log where the rider is (the browser's location when
// allowed, else what they type), redraw the route as points arrive, and show it on map tiles
// (Leaflet) when this server has tiles configured and they load. Without this script the page
// still works: the form posts, and the route is the server's drawing.
"use strict";
(function () {
  var holder = document.querySelector("[data-route-map]");
  if (!holder) return;
  var live = document.querySelector("[data-live]");
  var note = document.querySelector("[data-map-note]");
  var form = document.querySelector("form[data-location-form]");
  var locate = document.querySelector("[data-locate]");
  var api = holder.getAttribute("data-api");
  var csrf = form ? form.querySelector("input[name='_csrf']").value : "";
  var map = null;
  var line = null;
  var marks = null;
  var tilesSeen = false;
  var gaveUp = false;

  function say(text, isError) {
    if (!live) return;
    live.textContent = text;
    live.classList.toggle("error", Boolean(isError));
    live.setAttribute("role", isError ? "alert" : "status");
  }

  function points() {
    try {
      return JSON.parse(holder.getAttribute("data-points") || "[]");
    } catch {
      return [];
    }
  }

  // ---- The map on tiles ----------------------------------------------------------------------
  function fallBack(why) {
    gaveUp = true;
    var gone = map;
    map = null;
    line = null;
    marks = null;
    holder.classList.remove("tiles-on");
    if (note) note.textContent = why;
    // Leaflet is still inside its own tile callback here: take the map down once it is done.
    window.setTimeout(function () {
      if (gone) gone.remove();
      var host = holder.querySelector(".leaflet-host");
      if (host) host.remove();
    }, 0);
  }

  function drawOnMap() {
    if (!map) return;
    var pts = points();
    if (line) line.remove();
    if (marks) marks.remove();
    line = null;
    marks = null;
    if (pts.length === 0) return;
    line = L.polyline(pts, { color: "#1a7f5a", weight: 5, opacity: 0.9 }).addTo(map);
    marks = L.layerGroup([
      L.circleMarker(pts[0], { radius: 7, color: "#fff", weight: 3, fillColor: "#2f9e6d", fillOpacity: 1 }),
      L.circleMarker(pts[pts.length - 1], {
        radius: 7,
        color: "#fff",
        weight: 3,
        fillColor: "#d64545",
        fillOpacity: 1,
      }),
    ]).addTo(map);
    if (pts.length === 1) map.setView(pts[0], 16);
    else map.fitBounds(line.getBounds(), { padding: [24, 24], maxZoom: 17 });
  }

  function startMap() {
    var url = holder.getAttribute("data-tiles");
    if (!url || typeof L === "undefined" || map || gaveUp) return;
    if (points().length === 0) return; // nothing to centre on yet; the first point starts it
    var host = document.createElement("div");
    host.className = "leaflet-host";
    host.setAttribute("data-testid", "leaflet-map");
    holder.appendChild(host);
    map = L.map(host, { scrollWheelZoom: false, attributionControl: true });
    map.attributionControl.setPrefix(false);
    var attribution = escapeHtml(holder.getAttribute("data-attribution") || "");
    var attributionUrl = holder.getAttribute("data-attribution-url");
    if (attribution && attributionUrl) {
      attribution = '<a href="' + escapeHtml(attributionUrl) + '">' + attribution + "</a>";
    }
    var loaded = 0;
    var layer = L.tileLayer(url, {
      subdomains: holder.getAttribute("data-subdomains") || "abc",
      attribution: attribution,
      maxZoom: 19,
      crossOrigin: false,
    });
    layer.on("tileload", function () {
      loaded++;
      if (!tilesSeen) {
        tilesSeen = true;
        holder.classList.add("tiles-on");
        if (note) note.textContent = "";
      }
    });
    // "load" fires when every visible tile has settled, loaded or failed.
    layer.on("load", function () {
      if (loaded === 0 && !tilesSeen)
        fallBack("Map tiles could not be loaded: the route is drawn on its own.");
    });
    layer.addTo(map);
    drawOnMap();
    // A server that never answers fires neither event; after a while, say so and keep the drawing.
    window.setTimeout(function () {
      if (map && !tilesSeen) fallBack("Map tiles could not be loaded: the route is drawn on its own.");
    }, 10000);
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  // ---- Redrawing from the server -------------------------------------------------------------
  // The page itself is the source of the drawing: fetch it again and take its route parts.
  function refresh() {
    return fetch(window.location.pathname, { headers: { accept: "text/html" }, credentials: "same-origin" })
      .then(function (res) {
        if (!res.ok) throw new Error("status " + res.status);
        return res.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector("[data-route-map]");
        var drawing = doc.querySelector("[data-route-drawing]");
        var summary = doc.querySelector("[data-route-summary]");
        if (!fresh || !drawing) return;
        holder.setAttribute("data-points", fresh.getAttribute("data-points") || "[]");
        holder.querySelector("[data-route-drawing]").replaceWith(document.importNode(drawing, true));
        var mine = document.querySelector("[data-route-summary]");
        if (summary && mine) mine.replaceWith(document.importNode(summary, true));
        if (map) drawOnMap();
        else if (!tilesSeen) startMap();
      });
  }

  // ---- Logging a location --------------------------------------------------------------------
  function logPoint(lat, long) {
    return fetch(api + "/locations", {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrf-token": csrf },
      body: JSON.stringify({ lat: lat, long: long }),
    }).then(function (res) {
      if (res.status === 201) return refresh();
      return res
        .json()
        .catch(function () {
          return {};
        })
        .then(function (body) {
          throw new Error((body.error && body.error.message) || "The location was not logged.");
        });
    });
  }

  function parseDegrees(text, bound) {
    var t = String(text).trim().replace(",", ".");
    if (!/^[-+]?\d{1,3}(\.\d{1,12})?$/.test(t)) return null;
    var n = Number(t);
    return Math.abs(n) <= bound ? n : null;
  }

  if (form) {
    form.addEventListener("submit", function (event) {
      var lat = parseDegrees(form.elements.lat.value, 90);
      var long = parseDegrees(form.elements.long.value, 180);
      // Anything the script cannot read goes to the server, which answers with a sentence.
      if (lat === null || long === null || !api) return;
      event.preventDefault();
      var button = form.querySelector("button[type='submit']");
      say("Logging " + lat + ", " + long + "…");
      logPoint(lat, long)
        .then(function () {
          form.reset();
          say("Location logged: " + lat + ", " + long + ".");
        })
        .catch(function (err) {
          say(err.message, true);
        })
        .then(function () {
          if (button) button.disabled = false;
        });
    });
  }

  if (locate && form && navigator.geolocation) {
    locate.parentNode.hidden = false;
    locate.addEventListener("click", function () {
      say("Finding where you are…");
      locate.disabled = true;
      navigator.geolocation.getCurrentPosition(
        function (pos) {
          var lat = Math.round(pos.coords.latitude * 1e6) / 1e6;
          var long = Math.round(pos.coords.longitude * 1e6) / 1e6;
          logPoint(lat, long)
            .then(function () {
              say("Location logged: " + lat + ", " + long + ".");
            })
            .catch(function (err) {
              say(err.message, true);
            })
            .then(function () {
              locate.disabled = false;
            });
        },
        function (err) {
          locate.disabled = false;
          say(
            err.code === 1
              ? "This browser may not share your location. Type it in below instead."
              : "Your location could not be found. Type it in below instead.",
            true,
          );
          if (form.elements.lat) form.elements.lat.focus();
        },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 10000 },
      );
    });
  }

  // Points logged elsewhere (the phone app) show up while the page is open.
  if (holder.getAttribute("data-active") === "yes") {
    window.setInterval(function () {
      if (document.visibilityState === "visible") refresh().catch(function () {});
    }, 30000);
  }

  startMap();
})();
