// Follows a render job (documents/job.html): polls its JSON status and updates the page in place until the
// document is ready or has failed. The status line is a polite live region, so the change is announced; the
// page is not reloaded, so nothing a screen reader or the keyboard was on is lost.
(function () {
  "use strict";
  var box = document.getElementById("render-status");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  var steps = { queued: 1, running: 2, done: 3, failed: 3 };
  var delay = 1500;

  function part(id) { return document.getElementById(id); }

  function reveal(id, shown) {
    var element = part(id);
    if (element) { element.hidden = !shown; }
  }

  function message(data) {
    var key = data.status === "queued" && data.error ? "retrying" : data.status;
    return box.getAttribute("data-message-" + key) || data.status;
  }

  function show(data) {
    var finished = data.status === "done" || data.status === "failed";
    var text = part("render-status-text");
    var wanted = message(data);
    if (text.textContent.trim() !== wanted) { text.textContent = wanted; }
    part("render-progress").value = steps[data.status] || 1;
    part("render-attempts").textContent = "Attempts: " + data.attempts;
    reveal("render-refresh", !finished);
    reveal("render-failed", data.status === "failed");
    reveal("render-retry", data.retryable);
    var error = part("render-error-text");
    if (error) {
      error.textContent = data.error || "";
      reveal("render-error", Boolean(data.error));
    }
    if (data.download_url) {
      part("render-download-link").href = data.download_url;
      reveal("render-download", true);
    }
    box.setAttribute("data-status", data.status);
    return finished;
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { if (!response.ok) { throw new Error(String(response.status)); } return response.json(); })
      .then(function (data) {
        if (!show(data)) { window.setTimeout(poll, delay); }
      })
      .catch(function () { delay = Math.min(delay * 2, 30000); window.setTimeout(poll, delay); });
  }

  var initial = box.getAttribute("data-status");
  if (initial !== "done" && initial !== "failed") { window.setTimeout(poll, delay); }
})();
