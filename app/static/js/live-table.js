// Filters, sorts and pages a list (the coordinator's queue, a reviewer's list) without reloading the page.
// Progressive enhancement: without this file the filter form is a plain GET form and the column headings
// and page numbers are plain links. With it, the same URL is fetched with the header
// "X-Requested-With: live-table", the server answers with the results alone, and they are swapped in; the
// address bar keeps the URL of what is shown, and the count is announced through the page's status line.
(function () {
  "use strict";
  document.querySelectorAll("form[data-live-filter]").forEach((form) => {
    const resultsId = form.dataset.liveFilter;
    const results = () => document.getElementById(resultsId);
    const status = document.getElementById(resultsId + "-status");
    let controller = null;
    let timer = null;

    function syncSort(url) {
      const params = new URL(url, window.location.href).searchParams;
      form.querySelectorAll("input[name='sort'], input[name='dir']").forEach((input) => input.remove());
      ["sort", "dir"].forEach((name) => {
        if (params.get(name)) {
          const input = document.createElement("input");
          input.type = "hidden";
          input.name = name;
          input.value = params.get(name);
          form.append(input);
        }
      });
    }

    function load(url, focusSelector) {
      if (controller) { controller.abort(); }
      controller = new AbortController();
      const current = results();
      current.setAttribute("aria-busy", "true");
      fetch(url, {
        headers: { "X-Requested-With": "live-table", "Accept": "text/html" },
        credentials: "same-origin",
        signal: controller.signal,
      }).then((response) => {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      }).then((html) => {
        const holder = document.createElement("div");
        holder.innerHTML = html;
        const fresh = holder.querySelector("[data-live-results]");
        if (!fresh) { throw new Error("no results in the answer"); }
        results().replaceWith(fresh);
        window.history.replaceState(null, "", url);
        syncSort(url);
        if (status) { status.textContent = fresh.dataset.count; }
        const focusTarget = focusSelector && fresh.querySelector(focusSelector);
        if (focusTarget) { focusTarget.focus(); }
      }).catch((error) => {
        if (error.name === "AbortError") { return; }
        window.location.assign(url);  // let the server show the page (or its error page) the ordinary way
      });
    }

    function formUrl() {
      const params = new URLSearchParams();
      new FormData(form).forEach((value, name) => { if (String(value) !== "") { params.set(name, value); } });
      const query = params.toString();
      return window.location.pathname + (query ? "?" + query : "");
    }

    form.addEventListener("submit", (event) => { event.preventDefault(); load(formUrl()); });
    form.addEventListener("change", (event) => {
      if (event.target.matches("input[type='search'], input[type='text']")) { return; }  // handled as typed
      load(formUrl());
    });
    form.addEventListener("input", (event) => {
      if (!event.target.matches("input[type='search'], input[type='text']")) { return; }
      window.clearTimeout(timer);
      timer = window.setTimeout(() => load(formUrl()), 300);
    });
    document.addEventListener("click", (event) => {
      const link = event.target.closest("a[data-live-link]");
      if (!link || !results() || !results().contains(link)) { return; }
      if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) { return; }
      event.preventDefault();
      const key = link.dataset.sortKey;
      // Keep keyboard users where they were: on the same heading after sorting, on the page number after paging.
      load(link.getAttribute("href"), key ? "a[data-sort-key='" + key + "']" : "a[aria-current='page']");
    });
  });
})();
