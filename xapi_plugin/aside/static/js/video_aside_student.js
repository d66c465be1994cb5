/* xAPI video aside, LMS: report the page's <video> playback to the aside's handler.
 *
 * Sends load, play, pause, seek (from/to), ended, unload at once, and the position while playing
 * at the course's beacon interval: every quarter of the video ("quarters") or every 1 % of it,
 * at least 1 s and at most 30 s apart ("one_percent"). The server checks every report.
 */
(function () {
  "use strict";

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function randomId() {
    var bytes = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function findVideo(node) {
    // The aside is rendered next to the video block: the nearest ancestor holding a <video>.
    for (var current = node; current && current !== document; current = current.parentNode) {
      var video = current.querySelector && current.querySelector("video");
      if (video) { return video; }
    }
    return null;
  }

  function reportStep(mode, duration) {
    if (!duration || !isFinite(duration)) { return null; }
    if (mode === "one_percent") { return Math.min(30, Math.max(1, duration / 100)); }
    return duration / 4;
  }

  function start(config, video) {
    var url = config.dataset.handlerUrl;
    var mode = config.dataset.beaconInterval;
    var page = randomId();
    var seq = 0;
    var lastPosition = 0;   // last position seen outside a seek
    var seekFrom = null;
    var nextReport = null;  // media time of the next position report
    var loaded = false;

    function duration() { return isFinite(video.duration) && video.duration > 0 ? video.duration : null; }

    function scheduleFrom(position) {
      var step = reportStep(mode, duration());
      nextReport = step ? (Math.floor(position / step + 1e-6) + 1) * step : null;
    }

    function send(kind, extra, keepalive) {
      seq += 1;
      var body = {kind: kind, seq: seq, page: page, position: video.currentTime, duration: duration()};
      for (var key in extra || {}) { body[key] = extra[key]; }
      return fetch(url, {
        method: "POST",
        credentials: "same-origin",
        keepalive: !!keepalive,
        headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken()},
        body: JSON.stringify(body)
      }).then(function (response) {
        // 409: the server lost track of this page; anchor again where playback is.
        if (response.status === 409 && !video.paused) { send("play"); }
      }).catch(function () { /* offline: the next report carries the position */ });
    }

    function onLoaded() {
      if (loaded) { return; }
      loaded = true;
      send("load");
    }

    if (video.readyState >= 1) { onLoaded(); }
    video.addEventListener("loadedmetadata", onLoaded);
    video.addEventListener("play", function () {
      onLoaded();
      // The event runs a moment after playback resumed: report where it resumed from.
      var from = Math.abs(video.currentTime - lastPosition) < 0.3 ? lastPosition : video.currentTime;
      lastPosition = from;
      scheduleFrom(from);
      send("play", {position: from});
    });
    video.addEventListener("pause", function () {
      if (!video.ended && !video.seeking) { send("pause"); }
    });
    video.addEventListener("seeking", function () {
      if (seekFrom === null) { seekFrom = lastPosition; }
    });
    video.addEventListener("seeked", function () {
      var from = seekFrom === null ? lastPosition : seekFrom;
      seekFrom = null;
      lastPosition = video.currentTime;
      scheduleFrom(video.currentTime);
      send("seek", {time_from: from, time_to: video.currentTime});
    });
    video.addEventListener("timeupdate", function () {
      if (video.seeking) { return; }
      lastPosition = video.currentTime;
      if (video.paused || video.ended || nextReport === null) { return; }
      if (video.currentTime >= nextReport) {
        scheduleFrom(video.currentTime);
        send("position");
      }
    });
    video.addEventListener("ended", function () { send("ended", {position: duration() || video.currentTime}); });
    window.addEventListener("pagehide", function () {
      if (!video.paused && !video.ended) { send("unload", null, true); }
    });
  }

  function init(root) {
    var config = root.classList && root.classList.contains("xapi-video-beacon")
      ? root : root.querySelector(".xapi-video-beacon");
    if (!config || config.dataset.xapiInitialized) { return; }
    var video = findVideo(config);
    if (!video) { return; }
    config.dataset.xapiInitialized = "1";
    start(config, video);
  }

  // The XBlock runtime calls this for the aside's fragment (initialize_js).
  window.XapiVideoAside = function (runtime, element) {
    init(element && element.jquery ? element[0] : element);
  };
  // Pages without the XBlock JavaScript runtime: start every panel already on the page.
  function initAll() {
    Array.prototype.forEach.call(document.querySelectorAll(".xapi-video-beacon"), init);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initAll);
  } else {
    initAll();
  }
})();
