// The what-if page: controls built from the schema (api/scenario), a question on every
// change (api/what-if), the answer drawn as tables and uPlot charts. Only the answer to
// the latest question is ever shown: an older one that arrives late is dropped.
"use strict";

(() => {
  const REFERENCE = "#6b6b6b";
  const REFERENCE_BAND = "rgba(107, 107, 107, 0.18)";
  const VARIANT = "#1565c0";
  const VARIANT_BAND = "rgba(21, 101, 192, 0.20)";
  const JSON_HEADERS = { "Content-Type": "application/json" };

  const state = {
    info: null,
    controls: new Map(),   // key -> {spec, root, read, write, reset, error}
    changes: {},           // config key -> value, only keys that differ from the loaded scenario
    settings: {},          // n, seed
    seq: 0,                // the latest question asked
    client: clientId(),
    charts: [],
  };

  const $ = (selector) => document.querySelector(selector);
  const answer = () => $("#answer");

  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value === undefined || value === null) continue;
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else if (name.startsWith("data-") || name.startsWith("aria-") || name === "role") node.setAttribute(name, value);
      else node[name] = value;
    }
    node.append(...children);
    return node;
  }

  function clientId() {
    const bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // --- numbers as people read them ------------------------------------------------

  function percent(p, digits) {
    return p === null || p === undefined ? "–" : `${(100 * p).toFixed(digits)}%`;
  }

  function digitsFor(low, high) {
    // two decimals where the interval is narrower than half a percentage point
    return low !== null && high !== null && 100 * (high - low) < 0.5 ? 2 : 1;
  }

  function signed(x, digits) {
    if (x === null || x === undefined) return "–";
    const text = (100 * x).toFixed(digits);
    return Number(text) > 0 ? `+${text}` : Number(text) === 0 ? text.replace("-", "") : text;
  }

  function interval(cell, value, isDifference) {
    const digits = digitsFor(value.ci_low, value.ci_high);
    const main = isDifference ? `${signed(value.p, digits)} pp` : percent(value.p, digits);
    const range = isDifference
      ? `[${signed(value.ci_low, digits)}, ${signed(value.ci_high, digits)}]`
      : `[${percent(value.ci_low, digits)}, ${percent(value.ci_high, digits)}]`;
    cell.replaceChildren(el("span", { class: "estimate", text: main }), " ", el("span", { class: "range", text: range }));
    // the exact numbers, for anyone (and any test) who wants them
    cell.dataset.p = String(value.p);
    cell.dataset.ciLow = String(value.ci_low);
    cell.dataset.ciHigh = String(value.ci_high);
    if (isDifference) {
      cell.classList.toggle("unclear", value.ci_low === null || (value.ci_low <= 0 && value.ci_high >= 0));
    }
  }

  function shown(value) {
    if (value === null || value === undefined) return "omitted";
    if (typeof value === "boolean") return value ? "true" : "false";
    return String(value);
  }

  // --- controls -------------------------------------------------------------------

  function numberValue(text, spec) {
    const t = text.trim();
    if (t === "") return spec.optional ? null : "";
    const v = Number(t);
    return Number.isFinite(v) ? v : t;   // text that is no number goes as text: the schema says why
  }

  function buildControl(spec, onChange) {
    const id = `c-${spec.key.replace(/[^A-Za-z0-9_-]/g, "-")}`;
    const root = el("div", { class: `control kind-${spec.kind}`, "data-key": spec.key });
    const inputs = el("div", { class: "inputs" });
    let read = () => spec.value;
    let write = () => {};
    const box = () => el("input", {
      type: "number", id, name: spec.key, step: spec.step ?? "any",
      min: spec.minimum ?? undefined, max: spec.maximum ?? undefined,
      placeholder: spec.optional ? "omitted" : "",
    });

    if (spec.kind === "slider") {
      const range = el("input", { type: "range", min: spec.minimum, max: spec.maximum, step: spec.step,
        "aria-label": spec.key });
      const number = box();
      range.addEventListener("input", () => { number.value = range.value; onChange(spec.key); });
      number.addEventListener("input", () => {
        const v = Number(number.value);
        range.disabled = number.value.trim() === "";
        if (!range.disabled && Number.isFinite(v)) range.value = v;
        onChange(spec.key);
      });
      inputs.append(range, number);
      read = () => numberValue(number.value, spec);
      write = (v) => {
        number.value = v === null ? "" : String(v);
        range.disabled = v === null;
        range.value = v === null ? spec.minimum : v;
      };
    } else if (spec.kind === "number" || spec.kind === "integer") {
      const number = box();
      number.addEventListener("input", () => onChange(spec.key));
      inputs.append(number);
      read = () => numberValue(number.value, spec);
      write = (v) => { number.value = v === null ? "" : String(v); };
    } else if (spec.kind === "select") {
      const select = el("select", { id, name: spec.key });
      if (spec.optional) select.append(el("option", { value: "", text: "(omitted)" }));
      for (const option of spec.options) select.append(el("option", { value: option, text: option }));
      select.addEventListener("change", () => onChange(spec.key));
      inputs.append(select);
      read = () => (select.value === "" ? null : select.value);
      write = (v) => { select.value = v === null ? "" : v; };
    } else if (spec.kind === "switch") {
      const check = el("input", { type: "checkbox", id, name: spec.key, role: "switch" });
      check.addEventListener("change", () => onChange(spec.key));
      inputs.append(check);
      read = () => check.checked;
      write = (v) => { check.checked = Boolean(v); };
    } else if (spec.kind === "text") {
      const text = el("input", { type: "text", id, name: spec.key });
      text.addEventListener("change", () => onChange(spec.key));
      inputs.append(text);
      read = () => text.value;
      write = (v) => { text.value = v ?? ""; };
    } else {   // fixed: shown, not changed here
      inputs.append(el("output", { id, text: shown(spec.value) }));
    }

    const label = el("label", { htmlFor: id, text: spec.label });
    const reset = el("button", { type: "button", class: "reset", text: "↺", disabled: true,
      title: `reset to the loaded scenario's value (${shown(spec.value)})`, "aria-label": `reset ${spec.key}` });
    if (spec.kind !== "fixed") inputs.append(reset);
    const facts = [spec.type, spec.allowed].filter(Boolean).join(", ");
    const help = el("p", { class: "help" }, spec.description, " ",
      el("span", { class: "facts", text: `(${facts}; loaded: ${shown(spec.value)})` }));
    const error = el("p", { class: "error", role: "alert", hidden: true });
    root.append(label, inputs, help, error);
    write(spec.value);
    const control = { spec, root, read, write, reset, error };
    reset.addEventListener("click", () => { write(spec.value); onChange(spec.key); });
    state.controls.set(spec.key, control);
    return root;
  }

  function configChanged(key) {
    const control = state.controls.get(key);
    const value = control.read();
    if (value === control.spec.value) delete state.changes[key];
    else state.changes[key] = value;
    const changed = key in state.changes;
    control.root.classList.toggle("changed", changed);
    control.reset.disabled = !changed;
    ask();
  }

  function settingChanged(key) {
    const control = state.controls.get(key);
    state.settings[key] = control.read();
    const changed = state.settings[key] !== control.spec.value;
    control.root.classList.toggle("changed", changed);
    control.reset.disabled = !changed;
    ask();
  }

  function buildControls(info) {
    const form = $("#controls");
    const settings = $("#settings");
    const nSpec = { key: "n", label: "N per answer", kind: "integer", value: info.n, minimum: 1, maximum: info.max_n,
      step: 1000, type: "integer", allowed: `1 to ${info.max_n.toLocaleString("en")}`,
      description: "Replications of each scenario per answer (chosen to answer within about 0.3 s here)." };
    const seedSpec = { key: "seed", label: "seed", kind: "integer", value: info.seed, minimum: 0, step: 1,
      type: "integer", allowed: ">= 0", description: "Root seed; both scenarios run the same replications." };
    for (const spec of [nSpec, seedSpec]) {
      settings.append(buildControl(spec, settingChanged));
      state.settings[spec.key] = spec.value;
    }
    for (const section of info.sections) {
      const fieldset = el("fieldset", { "data-section": section.title }, el("legend", { text: section.title }));
      for (const spec of section.controls) fieldset.append(buildControl(spec, configChanged));
      form.append(fieldset);
    }
    form.addEventListener("submit", (event) => event.preventDefault());
  }

  function showProblems(data) {
    for (const control of state.controls.values()) {
      control.error.hidden = true;
      control.error.textContent = "";
      control.root.classList.remove("invalid");
    }
    const general = [];
    for (const problem of data ? data.errors || [] : []) {
      const control = problem.key !== null ? state.controls.get(problem.key) : undefined;
      if (control) {
        control.error.textContent = control.error.textContent ? `${control.error.textContent}\n${problem.message}`
          : problem.message;
        control.error.hidden = false;
        control.root.classList.add("invalid");
      } else {
        general.push(problem.message);
      }
    }
    const problem = $("#problem");
    problem.textContent = general.join("\n");
    problem.hidden = general.length === 0;
  }

  // --- asking and answering -----------------------------------------------------

  async function ask() {
    const seq = ++state.seq;
    const began = performance.now();
    const box = answer();
    box.dataset.latest = String(seq);
    box.dataset.state = "running";
    box.classList.add("busy");
    $("#status").textContent = "computing…";
    const body = { client: state.client, seq, values: { ...state.changes }, n: state.settings.n,
      seed: state.settings.seed };
    let response;
    let data;
    try {
      response = await fetch("api/what-if", { method: "POST", headers: JSON_HEADERS, body: JSON.stringify(body) });
      data = await response.json();
    } catch (error) {
      if (seq === state.seq) finish(seq, "error", "no answer from the server (is stress serve still running?)");
      return;
    }
    if (seq !== state.seq || response.status === 409) return;   // a newer question is out: drop this answer
    if (!response.ok) {
      showProblems(data);
      finish(seq, "error", response.status === 400 ? "not a valid scenario: see the messages at the controls"
        : data.message);
      return;
    }
    showProblems(null);
    draw(data);
    requestAnimationFrame(() => {
      if (seq !== state.seq) return;
      box.dataset.latencyMs = (performance.now() - began).toFixed(1);
      finish(seq, "ready", null);
    });
  }

  function finish(seq, outcome, message) {
    const box = answer();
    box.classList.remove("busy");
    box.classList.toggle("outdated", outcome !== "ready");
    if (message !== null) $("#status").textContent = message;
    box.dataset.seq = String(seq);
    box.dataset.state = outcome;
  }

  function draw(data) {
    const changed = Object.keys(data.changes);
    $("#status").textContent = `N = ${data.n.toLocaleString("en")} replications of each, seed ${data.seed}, `
      + `over ${data.horizon_days} days${"scenario.horizon_days" in data.changes ? " (the loaded scenario too)" : ""}; `
      + "the same replications for both (paired); "
      + `${changed.length ? `changed: ${changed.join(", ")}` : "nothing changed yet"}; `
      + `computed in ${data.seconds.toFixed(2)} s.`;
    const tiers = $("#tiers tbody");
    tiers.replaceChildren(...data.tiers.map((row) => {
      const tr = el("tr", { "data-tier": row.tier }, el("th", { text: `${row.tier} ${row.name}` }));
      for (const [name, isDifference] of [["reference", false], ["variant", false], ["diff", true]]) {
        const td = el("td", { class: `number ${name}` });
        interval(td, row[name], isDifference);
        tr.append(td);
      }
      return tr;
    }));
    const metrics = $("#metrics tbody");
    metrics.replaceChildren(...data.metrics.map((row) => {
      const tr = el("tr", { "data-metric": row.metric, class: row.key ? "key" : "other" },
        el("th", { text: row.label }));
      for (const [name, isDifference] of [["reference", false], ["variant", false], ["diff", true]]) {
        const td = el("td", { class: `number ${name}` });
        interval(td, row[name], isDifference);
        tr.append(td);
      }
      return tr;
    }));
    drawCurves(data);
  }

  // --- curves (uPlot) -----------------------------------------------------------

  function chartWidth() {
    const width = $("#curves").clientWidth;
    return Math.max(220, Math.floor((width - 24) / 3));
  }

  function makeCharts(tiers) {
    const holder = $("#curves");
    state.charts = tiers.map((row) => {
      const figure = el("figure", { "data-tier": row.tier });
      holder.append(figure);
      const options = {
        title: `tier ${row.tier} ${row.name}`,
        width: chartWidth(),
        height: 210,
        scales: { x: { time: false }, y: { range: [0, 1] } },
        axes: [
          { label: "days", size: 36 },
          { values: (u, ticks) => ticks.map((t) => `${Math.round(100 * t)}%`), size: 52 },
        ],
        series: [
          { label: "day" },
          { label: "loaded", stroke: REFERENCE, width: 1.5, dash: [6, 4] },
          { label: "loaded low", stroke: "transparent", points: { show: false } },
          { label: "loaded high", stroke: "transparent", points: { show: false } },
          { label: "what if", stroke: VARIANT, width: 2 },
          { label: "what if low", stroke: "transparent", points: { show: false } },
          { label: "what if high", stroke: "transparent", points: { show: false } },
        ],
        bands: [{ series: [3, 2], fill: REFERENCE_BAND }, { series: [6, 5], fill: VARIANT_BAND }],
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
      };
      return new uPlot(options, [[], [], [], [], [], [], []], figure);
    });
    window.addEventListener("resize", () => {
      for (const chart of state.charts) chart.setSize({ width: chartWidth(), height: 210 });
    });
  }

  function drawCurves(data) {
    if (typeof uPlot === "undefined") return;
    if (state.charts.length === 0) makeCharts(data.tiers);
    data.tiers.forEach((row, i) => {
      const ref = data.curves.reference[String(row.tier)];
      const variant = data.curves.variant[String(row.tier)];
      // both share the horizon, so the same days
      state.charts[i].setData([ref.days, ref.p, ref.ci_low, ref.ci_high, variant.p, variant.ci_low, variant.ci_high]);
    });
  }

  // --- save, run in full, results -----------------------------------------------

  async function save() {
    const status = $("#full-status");
    const response = await fetch("api/save", { method: "POST", headers: JSON_HEADERS,
      body: JSON.stringify({ values: state.changes }) });
    if (!response.ok) {
      const data = await response.json();
      showProblems(data);
      status.textContent = `not saved: ${data.message}`;
      return;
    }
    const disposition = response.headers.get("Content-Disposition") || "";
    const name = (/filename="([^"]+)"/.exec(disposition) || [null, "scenario.toml"])[1];
    const link = el("a", { href: URL.createObjectURL(await response.blob()), download: name });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
    status.textContent = `saved as ${name}`;
  }

  async function runInFull() {
    const status = $("#full-status");
    const button = $("#run-full");
    const n = numberValue($("#full-n").value, { optional: false });
    button.disabled = true;
    status.replaceChildren(`running ${typeof n === "number" ? n.toLocaleString("en") : n} replications…`);
    try {
      const response = await fetch("api/run", { method: "POST", headers: JSON_HEADERS,
        body: JSON.stringify({ values: state.changes, n, seed: state.settings.seed }) });
      const data = await response.json();
      if (!response.ok) {
        showProblems(data);
        status.replaceChildren(`not run: ${data.message}`);
        return;
      }
      status.replaceChildren(`written: ${data.id} `,
        el("a", { href: data.report, target: "_blank", rel: "noopener", text: "open its report", id: "full-report" }));
      loadResults();
    } catch (error) {
      status.replaceChildren("no answer from the server (is stress serve still running?)");
    } finally {
      button.disabled = false;
    }
  }

  async function loadResults() {
    const body = $("#results tbody");
    const response = await fetch("api/results");
    const rows = await response.json();
    if (!response.ok) {
      body.replaceChildren(el("tr", {}, el("td", { colSpan: 8, text: rows.message })));
      return;
    }
    if (rows.length === 0) {
      body.replaceChildren(el("tr", {}, el("td", { colSpan: 8, text: "no result folders yet" })));
      return;
    }
    body.replaceChildren(...rows.map((row) => el("tr", { "data-id": row.id, class: row.status },
      el("td", { text: row.id }), el("td", { text: row.kind }), el("td", { text: row.status }),
      el("td", { text: row.scenario }), el("td", { class: "number", text: row.n === null ? "" : row.n.toLocaleString("en") }),
      el("td", { text: row.created }), el("td", { class: "headline", text: row.headline }),
      el("td", {}, row.report ? el("a", { href: row.report, target: "_blank", rel: "noopener", text: "report" }) : ""))));
  }

  function route() {
    const results = location.hash === "#results";
    $("#what-if-view").hidden = results;
    $("#results-view").hidden = !results;
    $("#tab-what-if").classList.toggle("current", !results);
    $("#tab-results").classList.toggle("current", results);
    if (results) loadResults();
  }

  async function main() {
    const response = await fetch("api/scenario");
    const info = await response.json();
    state.info = info;
    $("#scenario").textContent = `${info.name} (${info.source}): every change runs against this scenario on the `
      + "same replications.";
    $("#results-dir").textContent = info.results;
    $("#full-n").value = String(info.full_n);
    $("#full-n").max = String(info.max_full_n);
    buildControls(info);
    $("#save").addEventListener("click", save);
    $("#run-full").addEventListener("click", runInFull);
    $("#refresh-results").addEventListener("click", loadResults);
    window.addEventListener("hashchange", route);
    route();
    ask();
  }

  main();
})();
