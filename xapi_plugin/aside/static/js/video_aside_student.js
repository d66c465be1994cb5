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

  function blockElement(config) {
    // The video block's own element: the real player's ``.video`` carries ``data-block-id`` = usage key.
    var key = config.dataset.videoKey;
    var all = document.querySelectorAll(".video[data-block-id]");
    for (var i = 0; i < all.length; i++) {
      if (all[i].getAttribute("data-block-id") === key) { return all[i]; }
    }
    return null;
  }

  function blockSources(element) {
    try {
      var metadata = JSON.parse(element.getAttribute("data-metadata") || "{}");
      return (metadata.sources || []).map(function (src) { return new URL(src, document.baseURI).href; });
    } catch (e) { return []; }
  }

  function findVideo(config) {
    // The block's own <video>: inside its element, and playing one of its sources (a bumper plays
    // another file in the same place first). Without a block element (an older player), the
    // nearest ancestor of the aside holding a <video>.
    var element = blockElement(config);
    if (element) {
      var sources = blockSources(element);
      var videos = element.querySelectorAll("video");
      for (var i = 0; i < videos.length; i++) {
        var src = videos[i].currentSrc || videos[i].src ||
          (videos[i].querySelector("source") || {}).src || "";
        // The player adds a cache-busting timestamp to the source it plays (``?1796119061623``).
        var played = src.replace(/[?&]\d{10,}$/, "");
        var own = !sources.length || sources.indexOf(played) !== -1;
        if (own) { return videos[i]; }
      }
      return null;
    }
    for (var current = config; current && current !== document; current = current.parentNode) {
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

    // Report the load as soon as the element is found (the player logs its own load_video once the
    // media's metadata is in): the server leaves the player's events to the aside from the first
    // accepted report on, so the earlier this one arrives, the fewer player events come first.
    onLoaded();
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
    config.dataset.xapiInitialized = "1";
    var attached = null;
    function attach() {
      var video = findVideo(config);
      if (video && video !== attached) {
        attached = video;
        config.dataset.xapiAttached = "1";
        start(config, video);
      }
    }
    attach();
    // The player makes its <video> later (after a poster click, after a bumper, or never for an
    // iframe player): watch the block's element for it. No element, no report: the player's own
    // events stay in charge on the server.
    var watched = blockElement(config) || config.parentNode;
    if (watched && window.MutationObserver) {
      new MutationObserver(attach).observe(watched, {childList: true, subtree: true, attributes: true,
                                                     attributeFilter: ["src"]});
    }
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
