/* xAPI video aside, Studio unit page: save this video's tracking switch and thresholds. */
function XapiVideoAsideAuthor(runtime, element) {
  "use strict";
  var root = element && element.jquery ? element[0] : element;
  var panel = root.classList && root.classList.contains("xapi-video-aside-author")
    ? root : root.querySelector(".xapi-video-aside-author");
  if (!panel || panel.dataset.xapiInitialized) { return; }
  panel.dataset.xapiInitialized = "1";
  var message = panel.querySelector(".xapi-message");

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }
  function value(name) {
    var text = panel.querySelector('[name="' + name + '"]').value.trim();
    return text === "" ? null : Number(text);
  }

  panel.querySelector(".xapi-save").addEventListener("click", function () {
    var body = {
      tracking_enabled: panel.querySelector('[name="tracking_enabled"]').checked,
      video_end_percent: value("video_end_percent"),
      video_end_seconds: value("video_end_seconds")
    };
    message.textContent = "Saving...";
    message.classList.remove("error");
    fetch(panel.dataset.handlerUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken()},
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (response.ok) {
          message.textContent = "Saved.";
        } else {
          message.textContent = answer.error || "Not saved.";
          message.classList.add("error");
        }
      });
    }).catch(function () {
      message.textContent = "Not saved: Studio could not be reached.";
      message.classList.add("error");
    });
  });
}
