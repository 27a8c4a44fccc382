// The workbench page: asks this page's own server (/api/...), which asks the cluster.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  let config = null;
  let current = null; // the query text whose results are shown

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === "class") node.className = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  async function api(path) {
    let response;
    try {
      response = await fetch(path, { cache: "no-store" });
    } catch (e) {
      throw new Error("The workbench server is not answering (" + e.message + "): is training-job.jar workbench still running?");
    }
    const body = await response.json().catch(() => ({ error: "the workbench answered " + response.status + " without JSON" }));
    if (!response.ok) throw new Error(body.error || "the workbench answered " + response.status);
    return body;
  }

  function showMessage(text) {
    const box = $("message");
    box.textContent = text;
    box.hidden = !text;
  }

  const fmt = (x, digits) => Number(x).toFixed(digits === undefined ? 3 : digits);

  function bars(list, items) {
    list.replaceChildren();
    const max = Math.max(...items.map((i) => i.value), 1e-9);
    for (const item of items) {
      list.append(el("li", { class: "bar " + (item.literal ? "literal" : "expansion"), "data-term": item.label },
        el("span", { class: "label" }, item.label, " ", el("span", { class: "tag " + (item.literal ? "literal" : "expansion") }, item.literal ? "literal" : "expansion")),
        el("span", { class: "track", title: item.title || "" }, el("span", { class: "fill", style: "width:" + Math.max(1, 100 * item.value / max) + "%" })),
        el("span", { class: "value" }, fmt(item.value))));
    }
  }

  function gradeTag(hit) {
    if (!config || !config.judgedQueries) return null;
    if (hit.grade === undefined) return el("span", { class: "tag unjudged" }, "unjudged");
    const positive = hit.grade >= config.minGrade;
    return el("span", { class: "tag grade" + (positive ? " positive" : ""), "data-grade": hit.grade }, "grade " + hit.grade);
  }

  function render(result) {
    current = result.query;
    bars($("terms"), result.terms.map((t) => ({ label: t.term, value: t.weight, literal: t.literal })));
    const inColumns = result.columns.map((c) => new Set(c.hits.map((h) => h.id)));
    const columns = $("columns");
    columns.replaceChildren();
    result.columns.forEach((column, index) => {
      const metrics = column.metrics
        ? el("span", { class: "metrics", "data-metrics": "" }, "MRR@10 " + fmt(column.metrics["MRR@10"]) + " · nDCG@10 " + fmt(column.metrics["nDCG@10"]))
        : null;
      const hits = el("ol", { class: "hits" });
      column.hits.forEach((hit, rank) => {
        const shared = result.columns
          .map((other, j) => (j !== index && inColumns[j].has(hit.id) ? other.name : null))
          .filter((name) => name);
        const open = () => explain(hit.id);
        hits.append(el("li", { class: "hit", tabindex: "0", "data-id": hit.id, onclick: open,
            onkeydown: (e) => { if (e.key === "Enter") open(); } },
          el("span", { class: "rank" }, rank + 1),
          el("span", { class: "title" }, hit.title || "(id " + hit.id + ")"),
          el("span", { class: "score" }, fmt(hit.score)),
          el("span", { class: "badges" },
            gradeTag(hit),
            ...shared.map((name) => el("span", { class: "tag shared", title: "also in " + name }, "also " + name)))));
      });
      if (column.hits.length === 0) hits.append(el("li", { class: "muted" }, "no hits"));
      columns.append(el("section", { class: "column", "data-column": column.name },
        el("h2", {}, el("span", {}, column.name), metrics),
        el("p", { class: "muted" }, column.description + " · " + column.total + " matching"),
        hits));
    });
    $("results").hidden = false;
  }

  async function search(text) {
    $("query").value = text;
    $("explain").hidden = true;
    showMessage("");
    try {
      render(await api("/api/search?q=" + encodeURIComponent(text)));
      history.replaceState(null, "", "?q=" + encodeURIComponent(text));
    } catch (e) {
      $("results").hidden = true;
      showMessage(e.message);
    }
  }

  async function explain(id) {
    try {
      const result = await api("/api/explain?q=" + encodeURIComponent(current) + "&id=" + encodeURIComponent(id));
      $("explain-product").textContent = result.title + " (id " + result.id + ")";
      const literal = result.terms.filter((t) => t.literal).reduce((s, t) => s + t.contribution, 0);
      const expansion = result.terms.filter((t) => !t.literal).reduce((s, t) => s + t.contribution, 0);
      $("explain-summary").textContent = result.matched
        ? "PROSPER score " + fmt(result.score) + " = literal terms " + fmt(literal) + " + expansions " + fmt(expansion)
          + " (each term: query weight × document weight)" + (result.grade !== undefined ? " · grade " + result.grade : "")
        : "PROSPER does not match this product: no query term is among its indexed terms.";
      bars($("explain-terms"), result.terms.map((t) => ({ label: t.term, value: t.contribution, literal: t.literal,
        title: fmt(t.queryWeight) + " × " + fmt(t.documentWeight) })));
      $("explain").hidden = false;
    } catch (e) {
      showMessage(e.message);
    }
  }

  async function start() {
    try {
      config = await api("/api/config");
    } catch (e) {
      showMessage(e.message);
      return;
    }
    $("target").textContent = "Cluster " + config.url + " · index " + config.index + " · model " + config.modelId
      + (config.judgedQueries ? " · " + config.judgedQueries + " judged queries (positives: grade ≥ " + config.minGrade + ")" : "");
    $("random").hidden = !config.judgedQueries;
    const initial = new URLSearchParams(location.search).get("q");
    if (initial) search(initial);
  }

  $("search").addEventListener("submit", (e) => { e.preventDefault(); if ($("query").value.trim()) search($("query").value.trim()); });
  $("random").addEventListener("click", async () => {
    try { search((await api("/api/random")).query); } catch (e) { showMessage(e.message); }
  });
  $("explain-close").addEventListener("click", () => { $("explain").hidden = true; });
  start();
})();
