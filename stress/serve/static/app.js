// The what-if page: controls built from the schema (api/scenario), a question on every
// change (api/what-if), the answer drawn as tables and uPlot charts. Only the answer to
// the latest question is ever shown: an older one that arrives late is dropped.
// Tiers can be added and removed: the server checks the new plan and sends its tiers'
// controls (api/plan); every question carries the plan, and the answer compares it with
// the loaded one tier by tier by name ('-' where a plan lacks a tier).
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
    changes: {},           // config key -> value, only keys that differ from the loaded scenario (or an
                           // added tier's starting values)
    settings: {},          // n, seed
    plan: [],              // the what-if's tiers in order: {name, trigger, added}
    removed: [],           // the loaded tiers it does not keep
    planSeq: 0,            // the latest change of the plan asked for
    seq: 0,                // the latest question asked
    client: clientId(),
    charts: [],
    chartTiers: null,      // the tiers the charts were made for
  };
  const ABSENT = "-";      // a tier or outcome that one of the plans does not have

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

  function interval(cell, value, isDifference, absentTitle) {
    if (value === null || value === undefined) {   // not in this plan, or (a difference) not in both
      cell.replaceChildren(el("span", { class: "absent", text: ABSENT }));
      cell.title = absentTitle || "";
      cell.classList.add("absent");
      for (const name of ["p", "ciLow", "ciHigh"]) delete cell.dataset[name];
      return;
    }
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

  function buildControl(spec, onChange, base = "loaded") {
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
      write = (v) => {
        // a value that is not among the options (an earlier tier since removed) stays visible, for the
        // server to explain
        if (v !== null && !spec.options.includes(v) && !Array.from(select.options).some((o) => o.value === v)) {
          select.append(el("option", { value: v, text: v }));
        }
        select.value = v === null ? "" : v;
      };
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
      title: base === "loaded" ? `reset to the loaded scenario's value (${shown(spec.value)})`
        : `reset to the value the tier was added with (${shown(spec.value)})`, "aria-label": `reset ${spec.key}` });
    if (spec.kind !== "fixed") inputs.append(reset);
    const facts = [spec.type, spec.allowed].filter(Boolean).join(", ");
    const help = el("p", { class: "help" }, spec.description, " ",
      el("span", { class: "facts", text: `(${facts}; ${base}: ${shown(spec.value)})` }));
    const error = el("p", { class: "error", role: "alert", hidden: true });
    root.append(label, inputs, help, error);
    write(spec.value);
    const control = { spec, root, read, write, reset, error };
    reset.addEventListener("click", () => { write(spec.value); onChange(spec.key); });
    state.controls.set(spec.key, control);
    return root;
  }

  function configChanged(key) {
    record(key);
    if (/^tiers\.[^.]+\.trigger$/.test(key)) triggerChanged(key);
    ask();
  }

  function record(key) {
    const control = state.controls.get(key);
    const value = control.read();
    if (value === control.spec.value) delete state.changes[key];
    else state.changes[key] = value;
    markChanged(control, key in state.changes);
  }

  function triggerChanged(key) {
    // A tier's new trigger: the keys it does not take are omitted (the schema refuses them), and
    // those it needs get the tier's own value, or else the value a new tier starts with. Each is
    // shown as changed, with its reset.
    const prefix = key.slice(0, -"trigger".length);
    const kind = state.controls.get(key).read();
    const keys = state.info.triggers[kind];
    if (!keys) return;
    const fields = new Set(Object.values(state.info.triggers).flatMap((k) => [...k.needs, ...k.may]));
    for (const field of fields) {
      const control = state.controls.get(prefix + field);
      if (!control) continue;
      const value = control.read();
      let next = value;
      if (!keys.needs.includes(field) && !keys.may.includes(field)) next = null;
      else if (keys.needs.includes(field) && value === null) next = control.spec.value ?? keys.starts[field];
      if (next !== value) {
        control.write(next);
        record(prefix + field);
      }
    }
  }

  function markChanged(control, changed) {
    control.root.classList.toggle("changed", changed);
    control.reset.disabled = !changed;
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
    for (const section of info.sections.filter((s) => s.tier === null)) {
      const fieldset = el("fieldset", { "data-section": section.title }, el("legend", { text: section.title }));
      for (const spec of section.controls) fieldset.append(buildControl(spec, configChanged));
      form.append(fieldset);
    }
    form.append(buildPlanEditor(info), el("div", { id: "tier-sections" }));
    state.plan = info.tiers.map((name) => {
      const section = info.sections.find((s) => s.tier === name);
      const trigger = section.controls.find((c) => c.key === `tiers.${name}.trigger`).value;
      return { name, trigger, added: false };
    });
    showTiers(info.sections.filter((s) => s.tier !== null));
    form.addEventListener("submit", (event) => event.preventDefault());
  }

  // --- the plan: tiers added and removed ------------------------------------------

  function buildPlanEditor(info) {
    // a control of its own (key "tiers"): problems with the plan's structure are shown here
    const root = el("fieldset", { id: "plan", class: "control", "data-key": "tiers" },
      el("legend", { text: "[[tiers]] the plan" }));
    const order = el("p", { id: "plan-order", class: "plan-order" });
    const name = el("input", { type: "text", id: "add-tier-name", name: "add-tier-name", placeholder: "name",
      "aria-label": "name of the new tier", maxLength: 40 });
    const trigger = el("select", { id: "add-tier-trigger", "aria-label": "trigger of the new tier" },
      ...Object.keys(info.triggers).map((kind) => el("option", { value: kind, text: kind })));
    const position = el("select", { id: "add-tier-position", "aria-label": "where the new tier goes" });
    const add = el("button", { type: "button", id: "add-tier", text: "Add tier" });
    const needs = el("p", { class: "help", id: "add-tier-needs" });
    const describeTrigger = () => {
      const keys = info.triggers[trigger.value];
      needs.textContent = `A ${trigger.value} trigger needs ${keys.needs.join(", ")}`
        + (keys.may.length ? ` and may take ${keys.may.join(", ")}` : "")
        + "; the new tier starts with values for what it needs (change them below), everything else at the "
        + "schema's defaults.";
    };
    trigger.addEventListener("change", describeTrigger);
    describeTrigger();
    add.addEventListener("click", () => {
      const tier = { name: name.value.trim(), trigger: trigger.value, added: true };
      const next = [...state.plan];
      const before = next.findIndex((t) => t.name === position.value);
      next.splice(before < 0 ? next.length : before, 0, tier);
      changePlan(next).then((done) => {
        if (done) {
          name.value = "";
          position.value = "";
        }
      });
    });
    name.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        add.click();
      }
    });
    const removed = el("p", { id: "removed-tiers", class: "removed", hidden: true });
    const error = el("p", { class: "error", role: "alert", hidden: true });
    root.append(order,
      el("div", { class: "inputs add-tier" }, name, trigger, position, add), needs, removed, error);
    const reset = el("button", { type: "button", hidden: true });
    state.controls.set("tiers", { spec: { key: "tiers" }, root, read: () => null, write: () => {}, reset, error });
    return root;
  }

  function specOf(plan) {
    return plan.map((t) => (t.added ? { name: t.name, trigger: t.trigger } : t.name));
  }

  function planChanged() {
    return state.plan.some((t) => t.added) || state.plan.map((t) => t.name).join(" ") !== state.info.tiers.join(" ");
  }

  function describePlan() {
    const parts = [];
    const added = state.plan.filter((t) => t.added);
    // an added tier's trigger as it is now (it may have been changed since)
    const trigger = (t) => state.controls.get(`tiers.${t.name}.trigger`)?.read() ?? t.trigger;
    if (added.length) parts.push(`added ${added.map((t) => `${t.name} (${trigger(t)})`).join(", ")}`);
    if (state.removed.length) parts.push(`removed ${state.removed.join(", ")}`);
    return parts.join("; ");
  }

  async function changePlan(next) {
    const planSeq = ++state.planSeq;
    let response;
    let data;
    try {
      response = await fetch("api/plan", { method: "POST", headers: JSON_HEADERS,
        body: JSON.stringify({ tiers: specOf(next) }) });
      data = await response.json();
    } catch (error) {
      $("#status").textContent = "no answer from the server (is stress serve still running?)";
      return false;
    }
    if (planSeq !== state.planSeq) return false;   // a newer change of the plan is out
    if (!response.ok) {   // shown at the plan; the messages at the controls stay until the next answer
      const plan = state.controls.get("tiers");
      plan.error.textContent = (data.errors || [data]).map((problem) => problem.message).join("\n");
      plan.error.hidden = false;
      plan.root.classList.add("invalid");
      return false;
    }
    // the changes of a tier that is gone, or that is now another tier of the same name, go with it
    const identity = (plan) => new Map(plan.map((t) => [t.name, t.added ? `added ${t.trigger}` : "loaded"]));
    const before = identity(state.plan);
    const after = identity(data.tiers);
    for (const key of Object.keys(state.changes)) {
      const match = /^tiers\.([^.]+)\./.exec(key);
      if (match && before.get(match[1]) !== after.get(match[1])) delete state.changes[key];
    }
    state.plan = data.tiers;
    state.removed = data.removed;
    showTiers(data.sections);
    ask();
    return true;
  }

  function showTiers(sections) {
    for (const key of [...state.controls.keys()]) if (key.startsWith("tiers.")) state.controls.delete(key);
    const single = sections.length === 1;
    $("#tier-sections").replaceChildren(...sections.map((section) => {
      const remove = el("button", { type: "button", class: "remove-tier", text: "remove", disabled: single,
        title: single ? "a plan has at least one tier" : `remove ${section.tier} from the plan`,
        "aria-label": `remove tier ${section.tier}` });
      remove.addEventListener("click", () => changePlan(state.plan.filter((t) => t.name !== section.tier)));
      const legend = el("legend", {}, section.title, section.added ? el("span", { class: "tag", text: "added" }) : "",
        remove);
      const fieldset = el("fieldset", { "data-section": section.title, "data-tier": section.tier,
        class: section.added ? "tier added" : "tier" }, legend);
      for (const spec of section.controls) {
        fieldset.append(buildControl(spec, configChanged, section.added ? "starts at" : "loaded"));
      }
      return fieldset;
    }));
    // the values changed before, on the tiers still there
    for (const key of Object.keys(state.changes)) {
      const control = state.controls.get(key);
      if (control) {
        control.write(state.changes[key]);
        markChanged(control, true);
      } else if (key.startsWith("tiers.")) {
        delete state.changes[key];
      }
    }
    updatePlanEditor();
  }

  function updatePlanEditor() {
    $("#plan-order").textContent = `In order of escalation: ${state.plan.map((t) => t.name).join(" → ")}`
      + `${state.plan.length >= state.info.max_tiers ? ` (at most ${state.info.max_tiers} tiers)` : ""}.`;
    const position = $("#add-tier-position");
    const chosen = position.value;
    position.replaceChildren(el("option", { value: "", text: "at the end" }),
      ...state.plan.map((t) => el("option", { value: t.name, text: `before ${t.name}` })));
    if (state.plan.some((t) => t.name === chosen)) position.value = chosen;
    const removed = $("#removed-tiers");
    removed.hidden = state.removed.length === 0;
    removed.replaceChildren("Removed: ", ...state.removed.flatMap((name, i) => {
      const restore = el("button", { type: "button", class: "restore", text: `restore ${name}`,
        "data-tier": name, "aria-label": `restore tier ${name}` });
      restore.addEventListener("click", () => changePlan(restored(name)));
      return i ? [" ", restore] : [restore];
    }));
    $("#plan").classList.toggle("changed", planChanged());
  }

  function restored(name) {
    // back where it was: after the nearest tier before it in the loaded plan that is still there
    const loaded = state.info.tiers;
    const next = state.plan.filter((t) => !(t.added && t.name === name));
    let at = 0;
    for (const earlier of loaded.slice(0, loaded.indexOf(name))) {
      const i = next.findIndex((t) => t.name === earlier && !t.added);
      if (i >= 0) at = i + 1;
    }
    const section = state.info.sections.find((s) => s.tier === name);
    const trigger = section.controls.find((c) => c.key === `tiers.${name}.trigger`).value;
    next.splice(at, 0, { name, trigger, added: false });
    return next;
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
    const body = { client: state.client, seq, tiers: specOf(state.plan), values: { ...state.changes },
      n: state.settings.n, seed: state.settings.seed };
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

  // Where a plan lacks a tier or an outcome: why its cell shows '-'.
  const ABSENT_TITLES = { reference: "not in the loaded scenario's plan", variant: "not in the what-if's plan",
    diff: "no paired difference: only one of the plans has it" };

  function onlyIn(row) {
    if (row.reference === null) return "what if only";
    if (row.variant === null) return "loaded only";
    return null;
  }

  function cells(tr, row) {
    for (const [name, isDifference] of [["reference", false], ["variant", false], ["diff", true]]) {
      const td = el("td", { class: `number ${name}` });
      interval(td, row[name], isDifference, ABSENT_TITLES[name]);
      tr.append(td);
    }
    return tr;
  }

  function draw(data) {
    const changed = Object.keys(data.changes);
    const plan = describePlan();
    $("#status").textContent = `N = ${data.n.toLocaleString("en")} replications of each, seed ${data.seed}, `
      + `over ${data.horizon_days} days${"scenario.horizon_days" in data.changes ? " (the loaded scenario too)" : ""}; `
      + "the same replications for both (paired); "
      + `${plan ? `tiers: ${plan}; ` : ""}`
      + `${changed.length ? `changed: ${changed.join(", ")}` : plan ? "no value changed" : "nothing changed yet"}; `
      + `computed in ${data.seconds.toFixed(2)} s.`;
    $("#tiers tbody").replaceChildren(...data.tiers.map((row) => {
      const only = onlyIn(row);
      const th = el("th", { text: row.tier }, only ? el("span", { class: "only", text: ` (${only})` }) : "");
      return cells(el("tr", { "data-tier": row.tier, class: only ? "one-plan" : null }, th), row);
    }));
    $("#metrics tbody").replaceChildren(...data.metrics.map((row) => cells(
      el("tr", { "data-metric": row.metric, class: row.key ? "key" : "other" }, el("th", { text: row.label })), row)));
    drawCurves(data);
  }

  // --- curves (uPlot) -----------------------------------------------------------

  function chartWidth() {
    const width = $("#curves").clientWidth;
    return Math.max(220, Math.floor((width - 24) / 3));
  }

  function makeCharts(tiers) {
    // one chart per tier of either plan, made again whenever the tiers change
    for (const chart of state.charts) chart.destroy();
    const holder = $("#curves");
    holder.replaceChildren();
    state.charts = tiers.map((row) => {
      const figure = el("figure", { "data-tier": row.tier });
      holder.append(figure);
      const only = onlyIn(row);
      const options = {
        title: only ? `${row.tier} (${only})` : row.tier,
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
  }

  function drawCurves(data) {
    if (typeof uPlot === "undefined") return;
    // the same tiers, and the same ones in only one plan: the same charts (titles say which)
    const tiers = data.tiers.map((row) => `${row.tier} ${onlyIn(row)}`).join("\n");
    if (tiers !== state.chartTiers) makeCharts(data.tiers);
    state.chartTiers = tiers;
    data.tiers.forEach((row, i) => {
      const ref = data.curves.reference[row.tier];
      const variant = data.curves.variant[row.tier];
      // both share the horizon, so the same days; a plan without the tier has no curve
      const days = (ref || variant).days;
      const none = days.map(() => null);
      const missing = { p: none, ci_low: none, ci_high: none };
      const [r, v] = [ref || missing, variant || missing];
      state.charts[i].setData([days, r.p, r.ci_low, r.ci_high, v.p, v.ci_low, v.ci_high]);
    });
  }

  // --- save, run in full, results -----------------------------------------------

  async function save() {
    const status = $("#full-status");
    const response = await fetch("api/save", { method: "POST", headers: JSON_HEADERS,
      body: JSON.stringify({ tiers: specOf(state.plan), values: state.changes }) });
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
        body: JSON.stringify({ tiers: specOf(state.plan), values: state.changes, n, seed: state.settings.seed }) });
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
    window.addEventListener("resize", () => {
      for (const chart of state.charts) chart.setSize({ width: chartWidth(), height: 210 });
    });
    route();
    ask();
  }

  main();
})();
