// Section page: live conditional questions and autosave. The page works without this file: the server
// applies the same conditions and every button submits the form normally.
(function () {
  "use strict";
  const form = document.getElementById("section-form");
  if (!form) { return; }
  const status = document.getElementById("save-status");
  const contextAnswers = JSON.parse(document.getElementById("answers-context").textContent || "{}");
  const wrappers = Array.from(form.querySelectorAll("[data-question]"));
  const AUTOSAVE_EVERY_MS = 5000;
  let dirty = false;
  let saving = false;
  let retryDelay = 2000;
  let retryTimer = null;

  function blank(value) {
    return value === undefined || value === null || value === "" || (Array.isArray(value) && value.length === 0);
  }

  // A records table's rows as the server reads them (answers.py): cells named <question>-<n>-<column>, rows
  // with nothing typed left out.
  function tableRows(wrapper, qid) {
    const pattern = new RegExp("^" + qid + "-(\\d+)-([a-z0-9_]+)$");
    const rows = new Map();
    wrapper.querySelectorAll("input, select").forEach((input) => {
      const match = pattern.exec(input.name);
      const text = input.value.trim();
      if (!match || text === "") { return; }
      if (!rows.has(match[1])) { rows.set(match[1], {}); }
      rows.get(match[1])[match[2]] = text;
    });
    return Array.from(rows.values());
  }

  // The answers as the server would read them: this page's visible fields over the other sections' answers.
  function currentAnswers() {
    const answers = Object.assign({}, contextAnswers);
    wrappers.forEach((wrapper) => {
      const qid = wrapper.dataset.question;
      const type = wrapper.dataset.type;
      delete answers[qid];
      if (wrapper.hidden) { return; }
      if (type === "records") {
        const rows = tableRows(wrapper, qid);
        if (rows.length) { answers[qid] = rows; }
        return;
      }
      const inputs = Array.from(wrapper.querySelectorAll('[name="' + qid + '"]'));
      if (type === "multi") {
        answers[qid] = inputs.filter((i) => i.checked).map((i) => i.value);
      } else if (inputs.length && (inputs[0].type === "radio")) {
        const chosen = inputs.find((i) => i.checked);
        if (chosen) { answers[qid] = type === "yes_no" ? chosen.value === "yes" : chosen.value; }
      } else if (inputs.length) {
        const text = inputs[0].value.trim();
        if (text !== "") { answers[qid] = type === "number" && !isNaN(Number(text)) ? Number(text) : text; }
      }
    });
    return answers;
  }

  function evaluate(cond, answers) {
    if (cond.all) { return cond.all.every((c) => evaluate(c, answers)); }
    if (cond.any) { return cond.any.some((c) => evaluate(c, answers)); }
    if (cond.not) { return !evaluate(cond.not, answers); }
    let value = answers[cond.question];
    if ("answered" in cond) { return blank(value) !== !cond.answered; }
    if (blank(value)) { return false; }
    // A condition on a records column holds when any row's cell does.
    if (cond.field) { value = value.map((row) => row[cond.field]).filter((cell) => !blank(cell)); }
    if ("equals" in cond) {
      return Array.isArray(value) ? value.includes(cond.equals) : value === cond.equals;
    }
    if ("in" in cond) {
      return Array.isArray(value) ? value.some((v) => cond.in.includes(v)) : cond.in.includes(value);
    }
    return false;
  }

  // Repeat until stable, so a question shown only because another conditional question is answered follows.
  function applyConditions() {
    for (let pass = 0; pass < wrappers.length + 1; pass += 1) {
      let changed = false;
      const answers = currentAnswers();
      wrappers.forEach((wrapper) => {
        if (!wrapper.dataset.showIf) { return; }
        const show = evaluate(JSON.parse(wrapper.dataset.showIf), answers);
        if (wrapper.hidden === show) {
          wrapper.hidden = !show;
          wrapper.querySelectorAll("input, textarea, select").forEach((el) => { el.disabled = !show; });
          changed = true;
        }
      });
      if (!changed) { break; }
    }
  }

  // "(optional)" and "N of M questions answered" as the answers stand now, counted as the server counts them
  // (presenters.section_context): a follow-up counts under the question that shows it, so M stays put when it
  // appears, and that question is answered once its required follow-ups are too.
  const progressAnswered = document.querySelector("[data-progress-answered]");
  const progressTotal = document.querySelector("[data-progress-total]");
  const progressBar = document.getElementById("section-progress");

  function isRequired(wrapper, answers) {
    if (wrapper.dataset.required === "always") { return true; }
    return Boolean(wrapper.dataset.requiredIf) && evaluate(JSON.parse(wrapper.dataset.requiredIf), answers);
  }

  function isAnswered(wrapper, answers) {
    if (wrapper.dataset.type === "footprint_stages") {
      return Array.from(wrapper.querySelectorAll("input[type='text'], input:not([type])")).some((i) => i.value.trim() !== "");
    }
    return !blank(answers[wrapper.dataset.question]);
  }

  function updateRequiredAndProgress() {
    const answers = currentAnswers();
    const groups = new Map();
    wrappers.forEach((wrapper) => {
      const qid = wrapper.dataset.question;
      const required = !wrapper.hidden && isRequired(wrapper, answers);
      const mark = wrapper.querySelector(".optional-mark");
      if (mark) { mark.hidden = required; }
      const root = wrapper.dataset.progressRoot || qid;
      if (!groups.has(root)) { groups.set(root, { shown: false, answered: true }); }
      const group = groups.get(root);
      if (root === qid) {
        group.shown = !wrapper.hidden;
        if (!isAnswered(wrapper, answers)) { group.answered = false; }
      } else if (!wrapper.hidden && required && !isAnswered(wrapper, answers)) {
        group.answered = false;
      }
    });
    const shown = Array.from(groups.values()).filter((g) => g.shown);
    const answered = shown.filter((g) => g.answered).length;
    if (progressAnswered) { progressAnswered.textContent = String(answered); }
    if (progressTotal) { progressTotal.textContent = String(shown.length); }
    if (progressBar) {
      progressBar.max = Math.max(shown.length, 1);
      progressBar.value = answered;
      progressBar.textContent = answered + " of " + shown.length;
    }
  }

  function say(message, kind) {
    status.textContent = message;
    status.className = "save-status small " + (kind === "error" ? "text-danger fw-semibold" : "text-body-secondary");
  }

  function showFieldError(qid, message) {
    const wrapper = form.querySelector('[data-question="' + qid + '"]');
    if (!wrapper) { return; }
    let error = document.getElementById(qid + "-error");
    const field = document.getElementById(qid);
    if (!message) {
      if (error && error.dataset.live) { error.remove(); }
      if (field) { field.classList.remove("is-invalid"); field.removeAttribute("aria-invalid"); }
      return;
    }
    if (!error) {
      error = document.createElement("p");
      error.id = qid + "-error";
      error.className = "invalid-feedback d-block";
      error.dataset.live = "1";
      const anchor = wrapper.querySelector("legend, label");
      anchor.insertAdjacentElement("afterend", error);
      if (field) {
        const described = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
        if (!described.includes(error.id)) { described.push(error.id); }
        field.setAttribute("aria-describedby", described.join(" "));
      }
    }
    error.textContent = "Error: " + message;
    if (field) { field.classList.add("is-invalid"); field.setAttribute("aria-invalid", "true"); }
  }

  function save() {
    if (saving || !dirty) { return; }
    saving = true;
    dirty = false;
    say("Saving…");
    const body = new FormData(form);
    fetch(form.dataset.autosaveUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": body.get("csrf_token") },
    }).then((response) => response.json().then((data) => ({ response, data }), () => ({ response, data: null })))
      .then(({ response, data }) => {
        saving = false;
        if (response.ok && data) {
          retryDelay = 2000;
          Object.entries(data.bases || {}).forEach(([qid, token]) => {
            const base = form.querySelector('[data-base-for="' + qid + '"]');
            if (base) { base.value = token; }
          });
          wrappers.forEach((w) => showFieldError(w.dataset.question, (data.errors || {})[w.dataset.question]));
          if (dirty) { save(); return; }  // typed while this save was on its way: not "all saved" yet
          const problems = Object.keys(data.errors || {}).length;
          if (data.changed_elsewhere && data.changed_elsewhere.length) {
            say("Saved at " + data.saved_at + ". A team member has changed other answers in this section: reload the page to see them.");
          } else if (problems) {
            say("Saved at " + data.saved_at + ", but " + problems + " answer" + (problems > 1 ? "s need" : " needs") + " correcting.", "error");
          } else {
            say("All changes saved at " + data.saved_at + ".");
          }
          return;
        }
        if (response.status === 409 && data && data.status === "conflict") {
          say("Someone else has changed an answer you are editing. Choose “Save as draft” to compare the versions and decide.", "error");
          return;
        }
        if (response.status === 409 || response.status === 403) {
          say((data && (data.message || data.detail)) || "This section can no longer be changed.", "error");
          return;
        }
        throw new Error("HTTP " + response.status);
      })
      .catch(() => {
        saving = false;
        dirty = true;
        say("Saving failed. Your answers are still here; trying again in " + Math.round(retryDelay / 1000) + " seconds.", "error");
        window.clearTimeout(retryTimer);
        retryTimer = window.setTimeout(save, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 60000);
      });
  }

  form.addEventListener("input", () => { dirty = true; updateRequiredAndProgress(); });
  form.addEventListener("change", () => { dirty = true; applyConditions(); updateRequiredAndProgress(); save(); });
  form.addEventListener("focusout", () => { save(); });
  form.addEventListener("submit", () => { dirty = false; });
  window.setInterval(save, AUTOSAVE_EVERY_MS);
  window.addEventListener("beforeunload", (event) => {
    if (dirty || saving) { event.preventDefault(); event.returnValue = ""; }
  });
  applyConditions();
  updateRequiredAndProgress();
})();
