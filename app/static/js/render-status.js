// Polls a render job's status (documents/job.html) until it is done or failed, then shows the outcome.
(function () {
  "use strict";
  var box = document.getElementById("render-status");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  var text = document.getElementById("render-status-text");
  var progress = document.getElementById("render-progress");
  var attempts = document.getElementById("render-attempts");
  var download = document.getElementById("render-download");
  var link = document.getElementById("render-download-link");
  var steps = { queued: 1, running: 2, done: 3, failed: 3 };
  var messages = {
    queued: "Waiting for the document service…",
    running: "Producing and signing the PDF…",
    done: "The signed PDF is in the archive.",
    failed: "The document could not be produced."
  };
  var delay = 1500;

  function show(data) {
    text.textContent = messages[data.status] || data.status;
    progress.value = steps[data.status] || 1;
    attempts.textContent = "Attempts: " + data.attempts;
    if (data.status === "queued" && data.error) {
      text.textContent = "The first attempt failed; trying again…";
    }
    if (data.download_url) {
      link.href = data.download_url;
      download.hidden = false;
    }
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { if (!response.ok) { throw new Error(String(response.status)); } return response.json(); })
      .then(function (data) {
        show(data);
        if (data.status === "done" || data.status === "failed") {
          if (box.getAttribute("data-status") !== data.status) { window.location.reload(); }
          return;
        }
        window.setTimeout(poll, delay);
      })
      .catch(function () { delay = Math.min(delay * 2, 30000); window.setTimeout(poll, delay); });
  }

  var initial = box.getAttribute("data-status");
  if (initial !== "done" && initial !== "failed") { window.setTimeout(poll, delay); }
})();
