// Section D: live environmental impact statement and add/remove of compute stages in place.
// Computes with the same data file as the server (embedded as JSON in #footprint-data) and the same formula
// (app/questionnaires/footprint.py). Without this file the page still works: "Add another stage" and
// "Remove stage" are submit buttons, and the server shows the figures of what was saved.
(function () {
  "use strict";
  const dataElement = document.getElementById("footprint-data");
  const form = document.getElementById("section-form");
  if (!dataElement || !form) { return; }
  const data = JSON.parse(dataElement.textContent);
  const statement = document.querySelector("[data-fp-statement]");
  const containers = Array.from(form.querySelectorAll("[data-stages]"));
  const BOUNDS = {
    count: [1, 1000000, true, true], hours: [0, 100000, false, false], memory_gb: [0, 100000, true, false],
    usage: [0, 1, false, false], pue: [1, 3, true, false], power_w: [0, 15000, false, false],
    runs: [0, 1000000, false, false], host_cores: [0, 100000000, true, true],
  };
  const TIER_RULES = { Low: "below 100 kg CO2e", Medium: "100 kg to 1 t CO2e", High: "above 1 t CO2e or 10 MWh" };

  function number(field, text) {
    const cleaned = String(text || "").replace(/[,_\s]/g, "");
    if (cleaned === "") { return null; }
    const value = Number(cleaned);
    const [low, high, lowInclusive, integer] = BOUNDS[field];
    if (!isFinite(value) || (integer && !Number.isInteger(value))) { return undefined; }
    if ((lowInclusive ? value < low : value <= low) || value > high) { return undefined; }
    return value;
  }

  function formatNumber(value) {
    const size = Math.abs(value);
    const fixed = (digits) => value.toLocaleString("en-GB", { minimumFractionDigits: digits, maximumFractionDigits: digits });
    if (size >= 100) { return fixed(0); }
    if (size >= 10) { return fixed(1); }
    if (size >= 1) { return fixed(2); }
    if (size === 0) { return "0"; }
    return String(Number(value.toPrecision(3)));
  }
  const formatEnergy = (kwh) => formatNumber(kwh) + " kWh";
  const formatCarbon = (kg) => (Math.abs(kg) >= 1000 ? formatNumber(kg / 1000) + " t CO2e" : formatNumber(kg) + " kg CO2e");

  function field(stage, name) {
    const element = stage.querySelector('[data-fp-field="' + name + '"]');
    return element ? element.value : "";
  }

  // The figures of one stage, or null while it is incomplete or has a value the server would refuse.
  function computeStage(stage) {
    const hardware = field(stage, "hardware");
    const platform = field(stage, "platform");
    const values = {};
    for (const name of Object.keys(BOUNDS)) {
      values[name] = number(name, field(stage, name));
      if (values[name] === undefined) { return null; }
    }
    if (!hardware || !platform || !(platform in data.platforms) || values.count === null
        || values.hours === null || values.memory_gb === null) { return null; }
    let watts;
    if (hardware === "other") {
      if (values.power_w === null) { return null; }
      watts = values.power_w;
    } else if (hardware in data.devices) {
      watts = values.power_w !== null ? values.power_w : data.devices[hardware].watts;
    } else { return null; }
    const usage = values.usage !== null ? values.usage : data.constants.default_usage;
    const runs = values.runs !== null ? values.runs : 1;
    const preset = data.platforms[platform];
    const typed = field(stage, "location").trim();
    const wanted = typed || preset.location || data.constants.default_location;
    const centre = data.datacentres ? data.datacentres[wanted.toLowerCase()] : undefined;
    const grid = centre ? data.grids[centre.location] : data.grids[wanted.toUpperCase()];
    if (!grid) { return null; }
    let pue = preset.pue;
    if (values.pue !== null) { pue = values.pue; } else if (centre && centre.pue) { pue = centre.pue; }
    // The host CPU cores of a GPU or TPU stage (footprint.py, _host_cores).
    const kind = hardware in data.devices ? data.devices[hardware].kind : "other";
    let hostCores = 0;
    if (kind !== "cpu") {
      hostCores = values.host_cores !== null ? values.host_cores : (preset.host_cores_per_device || 0) * values.count;
    }
    const hostWatts = preset.host_cpu ? data.devices[preset.host_cpu].watts : (data.constants.unknown_cpu_w_per_core || 0);
    const power = pue * (values.count * watts * usage + hostCores * hostWatts * usage
                         + values.memory_gb * data.constants.memory_w_per_gb);
    const energy = values.hours * power * runs / 1000;
    const name = field(stage, "name").trim();
    return { name: name, energy: energy, co2e: energy * grid.g_per_kwh / 1000 };
  }

  function tier(energy, co2e) {
    if (co2e > data.tiers.high_kg || energy > data.tiers.high_kwh) { return "High"; }
    if (co2e >= data.tiers.medium_kg) { return "Medium"; }
    return "Low";
  }

  function setText(key, text) {
    const element = statement.querySelector('[data-fp="' + key + '"]');
    if (element) { element.textContent = text; }
  }

  // The same chart as the server's (templates/charts.html): text in a grid, each bar a stretched SVG.
  function drawChart(results) {
    const holder = statement.querySelector("[data-fp-chart]");
    const svgNS = "http://www.w3.org/2000/svg";
    const largest = Math.max(...results.map((r) => r.co2e), 0) || 1;
    const list = document.createElement("dl");
    list.className = "bar-chart-rows";
    results.forEach((r) => {
      const label = document.createElement("dt");
      label.className = "bar-chart-label";
      label.textContent = r.label;
      const barCell = document.createElement("dd");
      barCell.className = "bar-chart-bar";
      const svg = document.createElementNS(svgNS, "svg");
      svg.setAttribute("viewBox", "0 0 100 1");
      svg.setAttribute("preserveAspectRatio", "none");
      svg.setAttribute("aria-hidden", "true");
      svg.setAttribute("focusable", "false");
      const bar = document.createElementNS(svgNS, "rect");
      bar.setAttribute("width", String(r.co2e > 0 ? Math.max(1, 100 * r.co2e / largest) : 0));
      bar.setAttribute("height", "1");
      svg.append(bar);
      barCell.append(svg);
      const value = document.createElement("dd");
      value.className = "bar-chart-value";
      value.textContent = formatCarbon(r.co2e);
      list.append(label, barCell, value);
    });
    const figure = document.createElement("figure");
    figure.className = "bar-chart mb-3";
    const caption = document.createElement("figcaption");
    caption.className = "small text-body-secondary mb-1";
    caption.textContent = "Carbon footprint by stage";
    figure.append(caption, list);
    holder.replaceChildren(figure);
  }

  function update() {
    if (!statement) { return; }
    const results = [];
    const incomplete = [];
    containers.forEach((container) => {
      Array.from(container.querySelectorAll("[data-stage]")).forEach((stage, index) => {
        const result = computeStage(stage);
        const line = stage.querySelector("[data-fp-stage-result]");
        if (result) {
          result.label = result.name || "Stage " + (index + 1);
          results.push(result);
          if (line) { line.textContent = "This stage: " + formatEnergy(result.energy) + ", " + formatCarbon(result.co2e) + "."; }
        } else {
          incomplete.push(index + 1);
          if (line) { line.textContent = "This stage is not counted until it is complete."; }
        }
      });
    });
    const figures = statement.querySelector("[data-fp-figures]");
    const empty = statement.querySelector("[data-fp-empty]");
    figures.hidden = results.length === 0;
    empty.hidden = results.length > 0;
    const table = statement.querySelector("[data-fp-table]");
    if (table) { table.hidden = true; }  // the per-stage table shows saved figures; the live chart replaces it
    const note = statement.querySelector("[data-fp-note]");
    if (note) { note.textContent = "Figures update as you type; they are saved with your answers."; }
    if (!results.length) { return; }
    const energy = results.reduce((sum, r) => sum + r.energy, 0);
    const co2e = results.reduce((sum, r) => sum + r.co2e, 0);
    const level = tier(energy, co2e);
    setText("energy", formatEnergy(energy));
    setText("carbon", formatCarbon(co2e));
    setText("tree_months", formatNumber(co2e * 1000 / (data.constants.tree_g_per_year / 12)));
    setText("car_km", formatNumber(co2e * 1000 / data.constants.car_g_per_km));
    setText("tier", level);
    setText("tier_rule", TIER_RULES[level]);
    setText("data_label", data.label);
    setText("data_version", data.data_version);
    const badge = statement.querySelector('[data-fp="tier"]');
    badge.className = "badge tier-" + level;
    let dominant = results[0];
    results.forEach((r) => { if (r.co2e > dominant.co2e) { dominant = r; } });
    setText("dominant", results.length > 1
      ? dominant.label + " (" + Math.round(co2e ? dominant.co2e / co2e * 100 : 0) + "% of the CO2e)" : "One stage only");
    const incompleteLine = statement.querySelector('[data-fp="incomplete"]');
    incompleteLine.hidden = incomplete.length === 0;
    incompleteLine.textContent = incomplete.length ? "Not counted yet (incomplete): stage " + incomplete.join(", ") + "." : "";
    drawChart(results);
  }

  function renumber(container) {
    const stages = Array.from(container.querySelectorAll("[data-stage]"));
    stages.forEach((stage, index) => {
      stage.querySelectorAll("[data-fp-number]").forEach((el) => { el.textContent = String(index + 1); });
      const remove = stage.querySelector("[data-fp-remove]");
      if (remove) { remove.hidden = stages.length < 2; }
    });
  }

  function changed() {
    // section.js autosaves on "change" events of the form.
    form.dispatchEvent(new Event("change", { bubbles: true }));
  }

  containers.forEach((container) => {
    const qid = container.dataset.stages;
    const template = document.getElementById(qid + "-stage-template");
    const addButton = form.querySelector('[data-fp-add="' + qid + '"]');
    const max = Number(container.dataset.maxStages || 20);
    if (addButton && template) {
      addButton.addEventListener("click", (event) => {
        event.preventDefault();
        const stages = container.querySelectorAll("[data-stage]");
        if (stages.length >= max) { return; }
        const next = Math.max(-1, ...Array.from(stages).map((s) => Number(s.dataset.stage))) + 1;
        const html = template.innerHTML.replaceAll("__INDEX__", String(next)).replaceAll("__NUMBER__", String(stages.length + 1));
        const holder = document.createElement("div");
        holder.innerHTML = html;
        const stage = holder.firstElementChild;
        container.append(stage);
        renumber(container);
        update();
        const first = stage.querySelector("input, select");
        if (first) { first.focus(); }
      });
    }
    container.addEventListener("click", (event) => {
      const button = event.target.closest("[data-fp-remove]");
      if (!button) { return; }
      event.preventDefault();
      const stage = button.closest("[data-stage]");
      const previous = stage.previousElementSibling || stage.nextElementSibling;
      stage.remove();
      renumber(container);
      update();
      changed();
      const focusTarget = previous ? previous.querySelector("input, select") : addButton;
      if (focusTarget) { focusTarget.focus(); }
    });
    container.addEventListener("input", update);
    container.addEventListener("change", update);
  });
  update();
})();
