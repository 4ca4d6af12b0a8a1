// The upload report while the file is checked: ask the status endpoint every 2 s and move
// the bar in place; once the check has ended, load the page once to show the report.
// Without JavaScript the page reloads itself every 2 s instead (<noscript> meta refresh).
(function () {
  "use strict";
  var box = document.getElementById("progress");
  if (!box || !window.fetch) { return; }
  var bar = document.getElementById("progress-bar");
  var text = document.getElementById("progress-text");
  function show(state) {
    if (state.rows_total) {
      bar.max = state.rows_total;
      bar.value = state.rows_checked;
    }
    text.textContent = state.text;
  }
  function poll() {
    fetch(box.getAttribute("data-status-url"), { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (state) {
        if (!state.running) { window.location.reload(); return; }
        show(state);
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 2000);
})();
