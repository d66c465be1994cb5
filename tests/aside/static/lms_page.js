/* What an LMS courseware page provides around an XBlock, for the real video player (tests only).
 *
 * The platform's page loads jQuery (+ jquery.cookie), underscore, the i18n catalog (gettext...),
 * `$.ajaxWithPrefix`, `edx.HtmlUtils`, the global `Logger` (common/static/coffee/src/logger.js:
 * `Logger.log(eventType, data)` POSTs event_type, event = JSON.stringify(data), courserun_key =
 * $$course_id, page = window.location.href to /event) and the XBlock JavaScript runtime, which
 * calls each block's `data-init` function with (runtime, element).
 */
// Errors of the page, for the test to show when the player does not start.
window.__pageErrors = [];
window.addEventListener("error", function (e) { window.__pageErrors.push(String(e.message) + " @" + e.filename + ":" + e.lineno); });
(function () {
  "use strict";
  // common/static/js/src/utility.js
  window.onTouchBasedDevice = function () { return navigator.userAgent.match(/iPhone|iPod|iPad|Android/i); };
  window.gettext = function (s) { return s; };
  window.ngettext = function (one, many, n) { return n === 1 ? one : many; };
  window.interpolate = function (fmt, obj, named) {
    if (named) { return fmt.replace(/%\(\w+\)s/g, function (m) { return String(obj[m.slice(2, -2)]); }); }
    return fmt.replace(/%s/g, function () { return String(obj.shift()); });
  };
  var $ = window.jQuery;
  $.cookie = function (name) {
    var match = document.cookie.match(new RegExp("(?:^|;\\s*)" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : null;
  };
  $.ajaxWithPrefix = function (url, settings) { return $.ajax(url, settings); };
  $.postWithPrefix = $.post;
  window.edx = window.edx || {};
  window.edx.HtmlUtils = {
    HTML: function (s) { return {toString: function () { return s; }, text: s}; },
    joinHtml: function () { return Array.prototype.join.call(arguments, ""); },
    setHtml: function (el, html) { $(el).html(String(html)); },
    ensureHtml: function (s) { return s; }
  };
  window.Logger = {
    log: function (eventType, data) {
      window.__logged = (window.__logged || []).concat([eventType]);
      return $.ajax({
        url: "/event",
        type: "POST",
        data: {
          event_type: eventType,
          event: JSON.stringify(data),
          courserun_key: typeof window.$$course_id !== "undefined" ? window.$$course_id : null,
          page: window.location.href
        },
        async: true
      });
    },
    listen: function () {},
    bind: function () {}
  };
  var runtime = {
    handlerUrl: function (element, handler) { return element.dataset.handlerPrefix + handler + "/"; },
    children: function () { return []; }
  };
  $(function () {
    $("[data-init]").each(function () {
      var init = window[this.dataset.init];
      if (typeof init === "function") { init(runtime, this); }
    });
  });
})();
