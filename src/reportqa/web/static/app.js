/* 科技报告问答 — front end. Plain JS, no build step.
 *
 * Safety rule: every piece of data (queries, report text, server messages) is
 * inserted with textContent / createTextNode. Nothing is ever assigned to innerHTML.
 */
"use strict";

(() => {
  const PASSAGE_PREVIEW_CHARS = 280;
  const ANSWER_PREVIEW_CHARS = 420;
  const CONFIDENCE = {
    high: { label: "可信度高", note: "答案句与问题高度吻合" },
    medium: { label: "可信度中", note: "建议对照原文确认" },
    low: { label: "可信度低", note: "请务必核对原文" },
  };
  const KIND_LABELS = {
    "annual report chapter": "年度报告章节",
    "official reply": "建议答复",
  };
  // Question words that would only add noise when highlighting the query's terms.
  const STOP_PHRASES = /是多少|有多少|多少|是什么|什么|哪些|哪个|怎么样|怎样|如何|是否|请问|情况|[的了吗呢是有和与及在年]/g;

  const $ = (id) => document.getElementById(id);
  const ui = {
    form: $("search-form"),
    input: $("q"),
    button: $("search-btn"),
    docFilter: $("filter-doc"),
    yearFilter: $("filter-year"),
    main: $("main"),
    status: $("status"),
    announcer: $("announce"),
    error: $("error"),
    errorTitle: $("error-title"),
    errorDetail: $("error-detail"),
    errorRetry: $("error-retry"),
    answer: $("answer"),
    timeline: $("timeline"),
    noAnswer: $("no-answer"),
    noAnswerText: $("no-answer-text"),
    resultsSection: $("results-section"),
    resultsHeading: $("results-heading"),
    results: $("results"),
    intro: $("intro"),
    docList: $("doc-list"),
    health: $("health"),
    dialog: $("context"),
    ctxMeta: $("context-meta"),
    ctxTitle: $("context-title"),
    ctxClose: $("context-close"),
    ctxPrev: $("ctx-prev"),
    ctxNext: $("ctx-next"),
    ctxLabel: $("ctx-section-label"),
    ctxBody: $("context-body"),
  };

  let searchController = null;
  let searchSeq = 0;
  let documentsById = new Map();
  const documentCache = new Map();
  const ctxState = { sections: [], current: -1, trigger: null, seq: 0 };

  /* ---------- small DOM helpers ---------- */

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clear(node) {
    node.replaceChildren();
  }

  // "en" for text with Latin letters and no Chinese (an English query), so it is read in English.
  function langOf(text) {
    return /[\u3400-\u9fff\uf900-\ufaff]/.test(text) || !/[A-Za-z]/.test(text) ? "" : "en";
  }

  function withLang(node, text) {
    const lang = langOf(text);
    if (lang) node.lang = lang;
    return node;
  }

  /* ---------- what screen readers hear (the polite live region #announce, outside <main>) ---------- */

  let announceTimer = 0;

  // Emptied first and refilled a moment later, so the same words (a repeated search) are read again.
  function announce(text) {
    window.clearTimeout(announceTimer);
    ui.announcer.textContent = "";
    announceTimer = window.setTimeout(() => {
      ui.announcer.textContent = text;
    }, 100);
  }

  // After a search the user started, focus moves to the outcome's heading: the answer is the next thing read.
  function focusOutcome(heading) {
    if (heading) heading.focus();
  }

  /* ---------- text with **bold** markers and highlighted ranges ---------- */

  // Splits raw text into segments (raw offsets) outside the `**` markers, with their boldness.
  function boldSegments(text) {
    const segments = [];
    const markers = [];
    for (let i = text.indexOf("**"); i !== -1; i = text.indexOf("**", i + 2)) markers.push(i);
    if (markers.length % 2 === 1) markers.pop(); // an unpaired marker stays literal text
    let pos = 0;
    let bold = false;
    for (const m of markers) {
      if (m > pos) segments.push({ start: pos, end: m, bold });
      bold = !bold;
      pos = m + 2;
    }
    if (pos < text.length) segments.push({ start: pos, end: text.length, bold });
    return segments;
  }

  function mergeRanges(ranges) {
    const sorted = ranges.filter((r) => r[1] > r[0]).sort((a, b) => a[0] - b[0]);
    const out = [];
    for (const r of sorted) {
      const last = out[out.length - 1];
      if (last && r[0] <= last[1] && (last[2] || "") === (r[2] || "")) last[1] = Math.max(last[1], r[1]);
      else out.push([r[0], r[1], r[2] || ""]);
    }
    return out;
  }

  /**
   * Appends `text` (raw, may contain **bold** markers) to `parent`, wrapping the raw
   * ranges in `marks` ([start, end, className]) in <mark>. Only [from, to) is shown.
   */
  function renderRich(parent, text, marks = [], from = 0, to = text.length) {
    const ranges = mergeRanges(marks);
    if (from > 0) parent.append("…");
    let openMark = null;
    let openIndex = -1;
    for (const seg of boldSegments(text)) {
      const s0 = Math.max(seg.start, from);
      const s1 = Math.min(seg.end, to);
      if (s0 >= s1) continue;
      const cuts = new Set([s0, s1]);
      for (const [a, b] of ranges) {
        if (a > s0 && a < s1) cuts.add(a);
        if (b > s0 && b < s1) cuts.add(b);
      }
      const points = [...cuts].sort((a, b) => a - b);
      for (let k = 0; k < points.length - 1; k++) {
        const a = points[k];
        const b = points[k + 1];
        let node = document.createTextNode(text.slice(a, b));
        if (seg.bold) {
          const strong = el("strong");
          strong.append(node);
          node = strong;
        }
        const index = ranges.findIndex(([ma, mb]) => a >= ma && b <= mb);
        if (index === -1) {
          openMark = null;
          parent.append(node);
          continue;
        }
        if (!openMark || openIndex !== index) {
          openMark = el("mark", ranges[index][2]);
          openIndex = index;
          parent.append(openMark);
        }
        openMark.append(node);
      }
    }
    if (to < text.length) parent.append("…");
  }

  function stripMarkers(text) {
    return text.replace(/\*\*/g, "");
  }

  // A window of about `max` characters of `text` that contains the first range.
  function previewWindow(text, ranges, max) {
    if (text.length <= max) return [0, text.length];
    const focus = ranges[0] || [0, 0];
    const span = focus[1] - focus[0];
    if (span + 40 >= max) return [Math.max(0, focus[0] - 20), Math.min(text.length, focus[1] + 20)];
    const from = Math.max(0, Math.min(focus[0] - Math.floor((max - span) / 3), text.length - max));
    return [from, Math.min(text.length, from + max)];
  }

  /**
   * Finds `needle` inside `raw` and returns its raw [start, end), tolerating `**` markers
   * and whitespace differences between the two. Returns null when absent.
   */
  function locate(raw, needle) {
    if (!needle) return null;
    const direct = raw.indexOf(needle);
    if (direct !== -1) return [direct, direct + needle.length];
    const skip = (ch) => ch === "*" || /\s/.test(ch);
    let flat = "";
    const map = [];
    for (let i = 0; i < raw.length; i++) {
      if (skip(raw[i])) continue;
      flat += raw[i];
      map.push(i);
    }
    const flatNeedle = [...needle].filter((ch) => !skip(ch)).join("");
    if (!flatNeedle) return null;
    const at = flat.indexOf(flatNeedle);
    if (at === -1) return null;
    return [map[at], map[at + flatNeedle.length - 1] + 1];
  }

  /* ---------- query term highlighting (passages without an answer span) ---------- */

  function queryTerms(query) {
    const latin = [];
    const cjkRuns = [];
    for (const m of query.matchAll(/[A-Za-z0-9][A-Za-z0-9.%&+\-]*|[\u3400-\u9fff\uf900-\ufaff]+/g)) {
      const token = m[0];
      if (/^[\u3400-\u9fff\uf900-\ufaff]/.test(token)) {
        for (const part of token.split(STOP_PHRASES)) if (part.length >= 2) cjkRuns.push(part);
      } else if (token.length >= 2 || /\d/.test(token)) {
        latin.push(token);
      }
    }
    return { latin, cjkRuns };
  }

  // Greedy longest-match of the query's Chinese runs against the passage, plus Latin tokens.
  function termRanges(text, terms) {
    const found = new Set(terms.latin);
    for (const run of terms.cjkRuns) {
      let i = 0;
      while (i < run.length - 1) {
        let matched = 0;
        for (let len = Math.min(run.length - i, 12); len >= 2; len--) {
          const piece = run.slice(i, i + len);
          if (text.includes(piece)) {
            found.add(piece);
            matched = len;
            break;
          }
        }
        i += matched || 1;
      }
    }
    const lower = text.toLowerCase();
    const ranges = [];
    for (const term of found) {
      const t = term.toLowerCase();
      for (let at = lower.indexOf(t); at !== -1; at = lower.indexOf(t, at + t.length)) {
        ranges.push([at, at + t.length, "term"]);
      }
    }
    return mergeRanges(ranges);
  }

  /* ---------- API ---------- */

  class ApiError extends Error {
    constructor(kind, message, status) {
      super(message);
      this.kind = kind; // "network" | "client" | "server" | "loading"
      this.status = status;
    }
  }

  function detailMessage(body) {
    const detail = body && body.detail;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) {
      const msgs = detail.map((d) => (d && typeof d.msg === "string" ? d.msg : "")).filter(Boolean);
      if (msgs.length) return msgs.join("；");
    }
    return "";
  }

  /* ---------- server messages in Chinese ----------
   * The API and the CLI keep their English messages (their users and the tests rely on them);
   * the page shows each known one in Chinese, keeping the values it lists.
   */
  const listZh = (values) => values.split(", ").join("、");
  const ZH_MESSAGES = [
    [/^the query is empty/, () => "问题为空：请输入问题或关键词。"],
    [/^the query is (\d+) characters long once normalised.*the limit is (\d+)/,
      (m) => `问题规范化后有 ${m[1]} 个字符，超过了 ${m[2]} 个字符的上限，请缩短后再试。`],
    [/^the query is (\d+) characters long; the limit is (\d+)/,
      (m) => `问题有 ${m[1]} 个字符，超过了 ${m[2]} 个字符的上限，请缩短后再试。`],
    [/^the query contains control characters/, () => "问题中含有控制字符，请删除后再试。"],
    [/^the query has nothing to search for/, () => "问题中没有可检索的内容：请使用中文、英文词语或数字。"],
    [/^only Chinese and English questions are supported/, () => "仅支持中文和英文问题。"],
    [/^k must be between 1 and (\d+)/, (m) => `段落数须在 1 到 ${m[1]} 之间。`],
    [/^unknown document '([^']*)'; valid ids: (.*)$/, (m) => `没有编号为“${m[1]}”的报告；可选的报告编号：${listZh(m[2])}。`],
    [/^unknown document '([^']*)'/, (m) => `没有编号为“${m[1]}”的报告，请从报告列表中选择。`],
    [/^no report for year (\d+); valid years: (.*)$/, (m) => `没有 ${m[1]} 年的报告；可选年份：${listZh(m[2])}。`],
    [/^invalid document id/, () => "报告编号无效，请从报告列表中选择。"],
    [/^the index is still loading/, () => "索引正在加载，请几秒钟后再试。"],
    [/^too many searches at once.*retry in (\d+) s/, (m) => `服务器正忙（同一地址同时发起的检索过多），请 ${m[1]} 秒后再试。`],
    [/^the query string is not valid UTF-8/, () => "网址中的查询参数不是有效的 UTF-8 编码。"],
    [/^no index found/, () => "服务器上还没有索引：请先运行 reportqa build。"],
  ];

  // A server message in Chinese: a known one translated, a Chinese one as it is, any other by its status.
  function zhMessage(detail, status) {
    for (const [pattern, render] of ZH_MESSAGES) {
      const match = pattern.exec(detail || "");
      if (match) return render(match);
    }
    if (detail && /[\u3400-\u9fff]/.test(detail) && !/[A-Za-z]{4}/.test(detail)) return detail;
    if (status === 429) return "服务器正忙，请稍候再试。";
    if (status === 503) return "服务暂时不可用（索引正在加载或加载失败），请稍候再试。";
    if (status === 404) return "请求的内容不存在。";
    if (status >= 500) return `服务器内部错误（HTTP ${status}），请稍后重试。`;
    return `请求无效（HTTP ${status}）。`;
  }

  // A failed request may mean the server has gone: the footer's indicator checks again at once.
  function recheckHealth(path) {
    if (!path.startsWith("/api/health")) loadHealth();
  }

  async function api(path, signal) {
    let response;
    try {
      response = await fetch(path, { signal, headers: { Accept: "application/json" } });
    } catch (err) {
      if (err && err.name === "AbortError") throw err;
      recheckHealth(path);
      throw new ApiError("network", "请确认服务已启动（reportqa serve），然后重试。");
    }
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    if (response.ok) return body;
    const message = zhMessage(detailMessage(body), response.status);
    if (response.status >= 500) recheckHealth(path);
    if (response.status === 503) throw new ApiError("loading", message, 503);
    if (response.status === 429) throw new ApiError("busy", message, 429);
    if (response.status >= 400 && response.status < 500) throw new ApiError("client", message, response.status);
    throw new ApiError("server", message, response.status);
  }

  function getDocument(id) {
    if (!documentCache.has(id)) {
      const promise = api(`/api/documents/${encodeURIComponent(id)}`);
      promise.catch(() => documentCache.delete(id));
      documentCache.set(id, promise);
    }
    return documentCache.get(id);
  }

  /* ---------- URL state ---------- */

  function readUrlState() {
    const params = new URLSearchParams(window.location.search);
    return { q: params.get("q") || "", doc: params.get("doc") || "", year: params.get("year") || "" };
  }

  function stateUrl(state) {
    const params = new URLSearchParams();
    if (state.q) params.set("q", state.q);
    if (state.year) params.set("year", state.year);
    if (state.doc) params.set("doc", state.doc);
    const search = params.toString();
    return `${window.location.pathname}${search ? `?${search}` : ""}`;
  }

  function currentFormState() {
    return { q: ui.input.value.trim(), doc: ui.docFilter.value, year: ui.yearFilter.value };
  }

  function ensureOption(select, value, label) {
    if (!value || [...select.options].some((o) => o.value === value)) return;
    select.append(new Option(label || value, value));
  }

  function applyStateToForm(state) {
    ui.input.value = state.q;
    ensureOption(ui.docFilter, state.doc);
    ensureOption(ui.yearFilter, state.year, `${state.year}年`);
    ui.docFilter.value = state.doc;
    ui.yearFilter.value = state.year;
  }

  function pushState(state) {
    const url = stateUrl(state);
    if (url !== `${window.location.pathname}${window.location.search}`) {
      window.history.pushState(state, "", url);
    }
  }

  /* ---------- page states ---------- */

  function setBusy(busy) {
    ui.main.setAttribute("aria-busy", String(busy));
    ui.button.classList.toggle("is-loading", busy);
    document.body.classList.toggle("is-searching", busy);
  }

  function hideResults() {
    document.body.classList.remove("has-results");
    ui.error.hidden = true;
    ui.answer.hidden = true;
    ui.timeline.hidden = true;
    ui.noAnswer.hidden = true;
    ui.resultsSection.hidden = true;
    if (exportBar) exportBar.hidden = true;
  }

  function showIntro() {
    hideResults();
    ui.intro.hidden = false;
    ui.status.textContent = "";
    document.title = "科技报告问答";
  }

  let lastFailedAction = null;

  function showError(err, retry) {
    hideResults();
    ui.intro.hidden = true;
    lastFailedAction = retry;
    if (err.kind === "network") ui.errorTitle.textContent = "无法连接服务器";
    else if (err.kind === "loading") ui.errorTitle.textContent = "索引正在加载";
    else if (err.kind === "busy") ui.errorTitle.textContent = "服务器正忙";
    else if (err.kind === "client") ui.errorTitle.textContent = "无法完成这次检索";
    else ui.errorTitle.textContent = "服务器出错";
    ui.errorDetail.textContent = err.message;
    ui.error.dataset.kind = err.kind;
    ui.errorRetry.hidden = err.kind === "client";
    ui.error.hidden = false;
    ui.status.textContent = "";
    announce(`${ui.errorTitle.textContent}：${err.message}`);
  }

  /* ---------- search ---------- */

  // `userStarted`: the search box, an example or retry, so focus follows to the outcome (not back/forward or load).
  async function runSearch(state, userStarted = false) {
    if (searchController) searchController.abort();
    if (!state.q) {
      showIntro();
      return;
    }
    const controller = new AbortController();
    searchController = controller;
    const seq = ++searchSeq;
    const params = new URLSearchParams({ q: state.q, k: "10" });
    if (state.doc) params.set("doc", state.doc);
    if (state.year) params.set("year", state.year);
    setBusy(true);
    ui.status.textContent = "正在检索…";
    announce("正在检索…");
    document.title = `${state.q} · 科技报告问答`;
    try {
      const data = await api(`/api/search?${params}`, controller.signal);
      if (seq !== searchSeq) return;
      renderSearch(data, state);
      if (userStarted) focusOutcome(ui.answer.hidden ? $("no-answer-heading") : $("answer-heading"));
    } catch (err) {
      if (err && err.name === "AbortError") return;
      if (seq !== searchSeq) return;
      showError(err instanceof ApiError ? err : new ApiError("server", String(err)), () => runSearch(state, true));
      if (userStarted) focusOutcome(ui.errorTitle);
    } finally {
      if (seq === searchSeq) setBusy(false);
    }
  }

  function renderSearch(data, state) {
    hideResults();
    ui.intro.hidden = true;
    document.body.classList.add("has-results");
    const results = Array.isArray(data.results) ? data.results : [];
    const answer = data.no_answer ? null : data.answer;
    renderStatus(data, state, results.length);
    if (answer && isMultiPart(data)) renderComparison(data, results, data.query || state.q);
    else if (answer) renderAnswer(answer, results);
    else renderNoAnswer(data.query || state.q, results.length, data.no_answer_reason);
    timelineSeq = searchSeq;
    if (data.timeline) renderTimeline(data.timeline);
    else if (answer && !isMultiPart(data)) offerTimeline(data, state, searchSeq);
    renderResults(results, data.query || state.q, answer);
    showExport(data);
    openSharedChunk();
    announce(outcomeSummary(data, answer, results.length, data.query || state.q));
  }

  // The outcome in one paragraph for the live region: the answer and its confidence, each part, or why none.
  function outcomeSummary(data, answer, count, query) {
    const confidence = (level) => (CONFIDENCE[level] || CONFIDENCE.low).label;
    if (answer && isMultiPart(data)) {
      const rows = orderedParts(data, query);
      const found = rows.filter((row) => row.answer).length;
      const lines = rows.map((row) =>
        row.answer
          ? `${row.label}：${stripMarkers(row.answer.text || "")}（${confidence(row.answer.confidence)}）`
          : `${row.label}：没有找到可靠答案（${row.reason || "报告中没有对应的原句"}）`,
      );
      return [`分项答案：${rows.length} 项中找到 ${found} 项。`, ...lines].join(" ");
    }
    if (answer) {
      const source = [answer.title, answer.year ? `${answer.year}年` : ""].filter(Boolean).join(" ");
      return `答案（${confidence(answer.confidence)}）：${stripMarkers(answer.text || "")} 出处：${source}。`;
    }
    const reason = (data.no_answer_reason || "报告中没有与问题直接对应的原句").replace(/[。.]+$/, "");
    const rest = count ? `下面列出 ${count} 个最接近的段落，仅供参考。` : "换个说法或放宽筛选条件再试试。";
    return `没有找到可靠答案：${reason}。${rest}`;
  }

  function renderStatus(data, state, count) {
    clear(ui.status);
    ui.status.append("“");
    const echo = withLang(el("span", "query-echo", data.query || state.q), data.query || state.q);
    echo.id = "query-echo";
    ui.status.append(echo, `” · ${count} 个相关段落`);
    const filters = [];
    if (state.doc) filters.push(documentsById.get(state.doc)?.title || state.doc);
    if (state.year) filters.push(`${state.year}年`);
    if (filters.length) ui.status.append(` · 限定：${filters.join("，")}`);
    const total = totalMs(data.timings_ms);
    if (total !== null) ui.status.append(` · 用时 ${total} 毫秒`);
  }

  function totalMs(timings) {
    if (!timings || typeof timings !== "object") return null;
    const values = Object.entries(timings).filter(([, v]) => typeof v === "number");
    if (!values.length) return null;
    // The API sends the whole request's time as total_ms; the other keys are its parts.
    const total = values.find(([k]) => k === "total_ms");
    const ms = total ? total[1] : values.reduce((sum, [, v]) => sum + v, 0);
    return Math.round(ms);
  }

  function citationButton(item, onOpen, withPath = true) {
    const button = el("button", "citation");
    button.type = "button";
    button.append(el("span", "citation-title", item.title || item.doc_id));
    if (item.year) button.append(el("span", "citation-year", String(item.year)));
    const path = item.section_path || [];
    if (withPath && path.length) button.append(el("span", "citation-path", path.join(" › ")));
    if (item.page) button.append(el("span", "citation-page", `第${item.page}页`));
    button.append(el("span", "citation-open", "查看原文"));
    button.addEventListener("click", () => onOpen(button));
    return button;
  }

  function confidenceBadge(level) {
    const info = CONFIDENCE[level] || CONFIDENCE.low;
    const badge = el("span", `confidence confidence-${CONFIDENCE[level] ? level : "low"}`);
    badge.append(el("span", "confidence-dot"), el("span", "confidence-label", info.label));
    badge.title = info.note;
    return badge;
  }

  function renderAnswer(answer, results) {
    clear(ui.answer);
    const chunk = results.find((r) => r.chunk_id === answer.chunk_id);
    const head = el("div", "answer-head");
    const heading = el("h2", "answer-heading", "答案");
    heading.id = "answer-heading";
    heading.tabIndex = -1; // focused after a search
    head.append(heading, confidenceBadge(answer.confidence));
    const sentence = el("p", "answer-sentence");
    sentence.id = "answer-sentence";
    renderRich(sentence, answer.text || "");
    const passage = el("blockquote", "answer-passage");
    if (chunk && typeof answer.start === "number") {
      const marks = [[answer.start, answer.end, "answer-mark"]];
      const [from, to] = previewWindow(chunk.text, marks, ANSWER_PREVIEW_CHARS);
      renderRich(passage, chunk.text, marks, from, to);
    } else {
      const mark = el("mark", "answer-mark");
      renderRich(mark, answer.text || "");
      passage.append(mark);
    }
    const note = el("p", "confidence-note", (CONFIDENCE[answer.confidence] || CONFIDENCE.low).note);
    const cite = el("div", "answer-cite");
    cite.append(el("span", "cite-label", "出处"));
    cite.append(
      citationButton(answer, (button) => openAnswerContext(answer, chunk, button)),
      quoteButton(answer, answer.text),
    );
    const passageLabel = el("p", "passage-label", "所在段落");
    const sameAsSentence = chunk && stripMarkers(chunk.text).trim() === stripMarkers(answer.text || "").trim();
    if (sameAsSentence) ui.answer.append(head, passage, cite, note);
    else ui.answer.append(head, sentence, passageLabel, passage, cite, note);
    if (answer.table) head.after(tableAnswer(answer.table));  // the row as a table, its asked cell marked
    ui.answer.hidden = false;
  }

  /* ---------- indicator timelines: every year's figure, charted, each point cited ----------
   *
   * The chart is hand-drawn SVG (createElementNS, presentation attributes and CSS classes): a
   * few points need a polyline or some bars and a few labels, about a hundred lines; a charting
   * library would be larger than the rest of the page, needs vendoring without a build step,
   * and many set inline styles that the strict CSP (style-src 'self') refuses. The chart is a
   * picture with a text alternative (role="img" + aria-label listing every point); the table
   * beneath it holds the same points with their citation buttons, the keyboard's way in.
   */
  const SVG_NS = "http://www.w3.org/2000/svg";
  let timelineSeq = 0;

  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, String(value));
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  function formatValue(value) {
    return Number.isInteger(value) ? String(value) : String(Math.round(value * 100) / 100);
  }

  // `4.4%（左右）`: the value in the timeline's unit, its qualifiers as written.
  function pointLabel(point) {
    const base = `${formatValue(point.value)}${point.unit || ""}`;
    return point.qualifier ? `${base}（${point.qualifier}）` : base;
  }

  // An answer's citation opens its passage (when it is among the results) with the sentence marked.
  function openAnswerContext(answer, chunk, trigger) {
    openContext({
      docId: answer.doc_id,
      start: chunk ? chunk.start : answer.source_start,
      end: chunk ? chunk.end : answer.source_end,
      sentence: answer.text,
      trigger,
      page: answer.page,
      chunkId: answer.chunk_id,
    });
  }

  function openPointCitation(citation, trigger) {
    openContext({
      docId: citation.doc_id,
      start: citation.passage_start,
      end: citation.passage_end,
      sentence: citation.text,
      trigger,
      page: citation.page,
    });
  }

  function timelineAlt(timeline) {
    const points = timeline.points.map((p) => `${p.year}年 ${pointLabel(p)}${p.conflict ? "（各报告数字不一）" : ""}`);
    return `${timeline.measure}历年数据图（${timeline.kind === "count" ? "柱状图" : "折线图"}）：${points.join("；")}。`;
  }

  function drawTimelineChart(timeline, width, onPoint) {
    const points = timeline.points;
    const height = 220;
    const pad = { left: 16, right: 16, top: 34, bottom: 34 };
    const years = points.map((p) => p.year);
    const values = points.map((p) => p.value);
    const y0 = Math.min(...years);
    const y1 = Math.max(...years);
    const bars = timeline.kind === "count";
    let lo = bars ? 0 : Math.min(...values);
    let hi = Math.max(...values);
    const span = hi - lo || Math.abs(hi) || 1;
    if (!bars) lo -= span * 0.25;
    hi += span * 0.1;
    const plotW = width - pad.left - pad.right;
    const plotH = height - pad.top - pad.bottom;
    const slot = plotW / Math.max(y1 - y0 + 1, 1);
    const x = (year) => pad.left + slot * (year - y0 + 0.5);
    const y = (value) => pad.top + plotH * (1 - (value - lo) / (hi - lo));
    const chart = svg("svg", {
      class: `timeline-chart ${bars ? "is-bars" : "is-line"}`,
      viewBox: `0 0 ${width} ${height}`,
      width,
      height,
      role: "img",
      "aria-label": timelineAlt(timeline),
    });
    chart.append(svg("line", { class: "tl-axis", x1: pad.left, x2: width - pad.right, y1: pad.top + plotH, y2: pad.top + plotH }));
    if (!bars) {
      const path = points.map((p) => `${x(p.year).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ");
      chart.append(svg("polyline", { class: "tl-line", points: path }));
    }
    points.forEach((point, i) => {
      const cx = x(point.year);
      const cy = y(point.value);
      const estimate = (point.qualifiers || []).includes("预计");
      const group = svg("g", {
        class: `tl-point${estimate ? " is-estimate" : ""}${point.conflict ? " is-conflict" : ""}`,
        "data-year": point.year,
      });
      if (bars) {
        const barW = Math.min(slot * 0.6, 56);
        group.append(svg("rect", { class: "tl-bar", x: cx - barW / 2, y: cy, width: barW, height: pad.top + plotH - cy, rx: 3 }));
      } else {
        group.append(svg("circle", { class: "tl-dot", cx, cy, r: 6 }));
      }
      group.append(svg("text", { class: "tl-value", x: cx, y: cy - 10, "text-anchor": "middle" },
        `${formatValue(point.value)}${point.qualifier ? "*" : ""}${point.conflict ? "!" : ""}`));
      group.append(svg("text", { class: "tl-year", x: cx, y: height - 12, "text-anchor": "middle" }, String(point.year)));
      // A wide, invisible hit area: a phone's finger is bigger than a dot.
      group.append(svg("rect", { class: "tl-hit", x: cx - slot / 2, y: pad.top - 24, width: slot, height: plotH + 24 }));
      group.addEventListener("click", () => onPoint(point, i));
      chart.append(group);
    });
    return chart;
  }

  function timelineTable(timeline) {
    const scroller = el("div", "parts-scroll");
    const table = el("table", "parts-table timeline-table");
    table.id = "timeline-table";
    table.append(el("caption", "parts-caption", `${timeline.measure}（单位：${timeline.unit || "—"}）`));
    const headRow = el("tr");
    for (const label of ["年份", "数值", "原文", "出处"]) {
      const th = el("th", null, label);
      th.scope = "col";
      headRow.append(th);
    }
    const thead = el("thead");
    thead.append(headRow);
    const tbody = el("tbody");
    const conflicts = new Map((timeline.conflicts || []).map((c) => [c.year, c.points]));
    for (const point of timeline.points) {
      const tr = el("tr", `part-row timeline-row${point.conflict ? " is-conflict" : ""}`);
      tr.dataset.year = String(point.year);
      const year = el("th", "part-label", `${point.year}年`);
      year.scope = "row";
      const value = el("td", "tl-cell-value");
      value.append(el("span", "tl-number", `${formatValue(point.value)}${point.unit || ""}`));
      for (const q of point.qualifiers || []) value.append(el("span", "tl-qualifier", q));
      const sentence = el("td", "part-sentence");
      renderRich(sentence, stripMarkers(point.text || ""));
      const others = (conflicts.get(point.year) || []).filter((p) => p !== conflicts.get(point.year)[0]);
      if (point.conflict && others.length) {
        const note = el("p", "tl-conflict-note", `各报告数字不一：另有 ${others.map((p) => `${pointLabel(p)}（${p.title}）`).join("、")}`);
        sentence.append(note);
      }
      const cite = el("td", "part-cite");
      for (const citation of point.citations || [point]) {
        cite.append(citationButton(citation, (button) => openPointCitation(citation, button)));
      }
      for (const other of others) {
        cite.append(citationButton(other, (button) => openPointCitation(other, button)));
      }
      tr.append(year, value, sentence, cite);
      tbody.append(tr);
    }
    table.append(thead, tbody);
    scroller.append(table);
    return scroller;
  }

  function renderTimeline(timeline) {
    clear(ui.timeline);
    const points = Array.isArray(timeline && timeline.points) ? timeline.points : [];
    if (!points.length) {
      ui.timeline.hidden = true;
      return;
    }
    const head = el("div", "answer-head");
    const heading = el("h2", "answer-heading", "历年数据");
    heading.id = "timeline-heading";
    heading.tabIndex = -1;
    head.append(heading, el("span", "parts-count", `${points.length} 个年份`));
    ui.timeline.append(head);
    ui.timeline.hidden = false;
    const table = timelineTable(timeline);
    if (points.length > 1) {
      const figure = el("figure", "timeline-figure");
      const width = Math.max(300, Math.min(720, ui.timeline.clientWidth - 40));
      const chart = drawTimelineChart(timeline, width, (point) => {
        const row = table.querySelector(`tr[data-year="${point.year}"] .citation`);
        const citation = (point.citations || [point])[0];
        openPointCitation(citation, row);
      });
      figure.append(chart);
      const legend = el("figcaption", "timeline-legend",
        `${timeline.kind === "count" ? "柱" : "点"}上的数字为原文数值；* 表示原文带有“预计、左右、超过”等限定；! 表示各报告数字不一。点击${timeline.kind === "count" ? "柱" : "点"}查看原文。`);
      figure.append(legend);
      ui.timeline.append(figure);
    }
    ui.timeline.append(table);
    ui.timeline.append(el("p", "confidence-note", "每个数值均逐字引自原文，按其所述年份排列（不是报告的发布年份）。"));
  }

  // A single-year answer offers the measure's other years, when the reports give any.
  async function offerTimeline(data, state, seq) {
    const query = data.query || state.q;
    const asked = (query.match(/(?:19|20)\d\d/g) || []).map(Number);
    if (asked.length !== 1 || !data.answer) return;
    let timeline;
    try {
      timeline = await api(`/api/indicator?${new URLSearchParams({ q: query })}`);
    } catch {
      return; // an extra, not the answer: a failure here changes nothing on the page
    }
    if (seq !== searchSeq || timelineSeq !== seq) return;
    const points = Array.isArray(timeline && timeline.points) ? timeline.points : [];
    if (!points.some((p) => p.year !== asked[0])) return;
    const button = el("button", "btn-secondary timeline-offer", "历年数据");
    button.type = "button";
    button.id = "timeline-offer";
    button.setAttribute("aria-controls", "timeline");
    button.addEventListener("click", () => {
      renderTimeline(timeline);
      button.setAttribute("aria-expanded", "true");
      focusOutcome($("timeline-heading"));
    });
    button.setAttribute("aria-expanded", "false");
    ui.answer.append(button);
  }

  /* ---------- multi-part questions: a comparison table (one row per asked part) ---------- */

  // The first figure of a sentence: a number with its unit (124篇, 2.5万家, 4.4%, 5200.73亿元).
  // Years and dates (2020年, 3月) are not figures: their "units" are not in the list.
  const FIGURE =
    /(?<![\d.])\d+(?:,\d{3})*(?:\.\d+)?\s*(?:%|‰|个百分点|[万亿千百]*(?:美元|元|人次|家次|篇|家|个|件|项|人|名|位|次|所|座|台|套|倍|条|种|平方公里|平方米|公里|千米|吨|张|部|批|户|辆)|[万亿]+)/;

  function isMultiPart(data) {
    const answers = Array.isArray(data.answers) ? data.answers : [];
    const missing = Array.isArray(data.missing_parts) ? data.missing_parts : [];
    return answers.length > 0 && (answers.length > 1 || missing.length > 0);
  }

  /**
   * Answers and missing parts merged in the order the question asked them. Each list is
   * already in that order; they are merged by where each part's label appears in the
   * query, falling back to answers-then-missing when a label is not found in it.
   */
  function orderedParts(data, query) {
    const answers = (data.answers || []).map((answer) => ({ label: answer.part || "", answer }));
    const missing = (data.missing_parts || []).map((m) => ({ label: m.part || "", reason: m.reason }));
    const at = (row) => (row.label ? query.indexOf(row.label) : -1);
    if ([...answers, ...missing].some((row) => at(row) === -1)) return [...answers, ...missing];
    const rows = [];
    let i = 0;
    let j = 0;
    while (i < answers.length || j < missing.length) {
      const takeAnswer = j >= missing.length || (i < answers.length && at(answers[i]) <= at(missing[j]));
      rows.push(takeAnswer ? answers[i++] : missing[j++]);
    }
    return rows;
  }

  function renderComparison(data, results, query) {
    clear(ui.answer);
    const rows = orderedParts(data, query);
    const found = rows.filter((row) => row.answer).length;
    const head = el("div", "answer-head");
    const heading = el("h2", "answer-heading", "答案");
    heading.id = "answer-heading";
    heading.tabIndex = -1; // focused after a search
    head.append(heading, el("span", "parts-count", `${rows.length} 项中找到 ${found} 项`));
    const scroller = el("div", "parts-scroll");
    const table = el("table", "parts-table");
    table.id = "answer-parts";
    table.append(el("caption", "parts-caption", "分项答案"));
    const headRow = el("tr");
    for (const label of ["分项", "原文答案句", "出处"]) {
      const th = el("th", null, label);
      th.scope = "col";
      headRow.append(th);
    }
    const thead = el("thead");
    thead.append(headRow);
    const tbody = el("tbody");
    for (const row of rows) tbody.append(row.answer ? answerRow(row, results) : missingRow(row));
    table.append(thead, tbody);
    scroller.append(table);
    const note = el("p", "confidence-note", "每项答案句均逐字引自原文；点击出处可查看所在段落。");
    ui.answer.append(head, scroller, note);
    ui.answer.hidden = false;
  }

  function partHeader(label) {
    const th = el("th", "part-label", label || "—");
    th.scope = "row";
    return th;
  }

  function answerRow(row, results) {
    const answer = row.answer;
    const tr = el("tr", "part-row");
    tr.dataset.part = row.label;
    const text = stripMarkers(answer.text || "");
    const figure = FIGURE.exec(text);
    const sentence = el("td", "part-sentence");
    renderRich(sentence, text, figure ? [[figure.index, figure.index + figure[0].length, "figure-mark"]] : []);
    const cite = el("td", "part-cite");
    const chunk = results.find((r) => r.chunk_id === answer.chunk_id);
    cite.append(
      citationButton(answer, (button) => openAnswerContext(answer, chunk, button)),
      confidenceBadge(answer.confidence),
      quoteButton(answer, answer.text),
    );
    tr.append(partHeader(row.label), sentence, cite);
    return tr;
  }

  function missingRow(row) {
    const tr = el("tr", "part-row is-missing");
    tr.dataset.part = row.label;
    const sentence = el("td", "part-sentence", `没有找到可靠答案：${row.reason || "报告中没有对应的原句"}`);
    const cite = el("td", "part-cite", "—");
    tr.append(partHeader(row.label), sentence, cite);
    return tr;
  }

  function renderNoAnswer(query, count, reason) {
    clear(ui.noAnswerText);
    ui.noAnswerText.append("报告中没有与“", withLang(el("span", "query-echo-inline", query), query), "”直接对应的原句");
    ui.noAnswerText.append(reason ? `（${reason}）。` : "。");
    ui.noAnswerText.append(count ? "下面列出最接近的段落，仅供参考。" : "换个说法或放宽筛选条件再试试。");
    ui.noAnswer.hidden = false;
  }

  function renderResults(results, query, answer) {
    clear(ui.results);
    ui.resultsHeading.textContent = answer ? "检索到的段落" : "相关段落";
    if (!results.length) return;
    const terms = queryTerms(query);
    results.forEach((result, index) => {
      const item = passageItem(result, index, terms);
      if (answer && result.chunk_id === answer.chunk_id) markAsAnswerSource(item);
      ui.results.append(item);
    });
    ui.resultsSection.hidden = false;
  }

  function passageItem(result, index, terms) {
    const item = el("li", "passage");
    item.dataset.chunkId = result.chunk_id;
    const head = el("div", "passage-head");
    head.append(el("span", "passage-rank", String(index + 1)));
    const crumbs = el("p", "breadcrumb");
    const path = result.section_path && result.section_path.length ? result.section_path : [result.title];
    path.forEach((part, i) => {
      if (i) crumbs.append(el("span", "crumb-sep", "›"));
      crumbs.append(el("span", "crumb", part));
    });
    head.append(crumbs);
    const text = el("p", "passage-text");
    const hasSpan = Array.isArray(result.answer_span) && result.answer_span.length === 2;
    const marks = hasSpan ? [[result.answer_span[0], result.answer_span[1], "answer-mark"]] : termRanges(result.text, terms);
    const [from, to] = previewWindow(result.text, marks, PASSAGE_PREVIEW_CHARS);
    renderRich(text, result.text, marks, from, to);
    item.append(head, text);
    if (from > 0 || to < result.text.length) item.append(expandButton(text, result.text, marks, from, to));
    const foot = el("div", "passage-foot");
    foot.append(
      citationButton(result, (button) =>
        openContext({
          docId: result.doc_id,
          start: result.start,
          end: result.end,
          sentence: hasSpan ? result.text.slice(result.answer_span[0], result.answer_span[1]) : null,
          trigger: button,
          page: result.page,
          chunkId: result.chunk_id,
        }),
        false,
      ),
      quoteButton(result, result.text),
    );
    item.append(foot);
    return item;
  }

  function markAsAnswerSource(item) {
    item.classList.add("is-answer-source");
    item.querySelector(".passage-head").append(el("span", "source-tag", "答案出处"));
  }

  // A toggle (展开全文 ↔ 收起) rather than a button that removes itself, so keyboard focus stays put.
  function expandButton(target, text, marks, from, to) {
    const button = el("button", "link-btn", "展开全文");
    button.type = "button";
    button.setAttribute("aria-expanded", "false");
    button.addEventListener("click", () => {
      const expand = button.getAttribute("aria-expanded") !== "true";
      clear(target);
      if (expand) renderRich(target, text, marks);
      else renderRich(target, text, marks, from, to);
      button.setAttribute("aria-expanded", String(expand));
      button.textContent = expand ? "收起" : "展开全文";
    });
    return button;
  }

  /* ---------- quoting, shared passage links and export ---------- */

  // `#chunk=<id>` from a shared link, opened once the search it belongs to has rendered.
  let pendingChunk = "";
  let exportBar = null;
  let shown = null; // the response on screen and its query, for 导出

  function chunkFromHash() {
    const match = /^#chunk=(.+)$/.exec(window.location.hash);
    if (!match) return "";
    try {
      return decodeURIComponent(match[1]);
    } catch {
      return "";
    }
  }

  function chunkLink(chunkId) {
    const { origin, pathname, search } = window.location;
    return `${origin}${pathname}${search}#chunk=${encodeURIComponent(chunkId)}`;
  }

  // The opened passage is in the address bar (replaceState: opening a passage is not a new page).
  function setChunkHash(chunkId) {
    window.history.replaceState(window.history.state, "", chunkLink(chunkId).slice(window.location.origin.length));
  }

  function clearChunkHash() {
    if (!window.location.hash) return;
    window.history.replaceState(window.history.state, "", `${window.location.pathname}${window.location.search}`);
  }

  function openSharedChunk() {
    const chunkId = pendingChunk;
    pendingChunk = "";
    if (!chunkId) return;
    const item = [...ui.results.querySelectorAll(".passage")].find((node) => node.dataset.chunkId === chunkId);
    const button = item && item.querySelector(".citation");
    if (button) button.click();
    else ui.status.append(" · 链接中的段落不在这次的检索结果中");
  }

  // 报告名，2024年，章节 › 小节，第3页 — the report's title is not repeated from the section path.
  function citeParts(item) {
    const title = item.title || item.doc_id || "";
    const path = (item.section_path || []).filter((part, i) => part && !(i === 0 && part === title));
    const parts = [title];
    if (item.year) parts.push(`${item.year}年`);
    if (path.length) parts.push(path.join(" › "));
    if (item.page) parts.push(`第${item.page}页`);
    return parts.filter(Boolean).join("，");
  }

  function plainOf(text) {
    return stripMarkers(text || "").replace(/\s*\n\s*/g, " ").trim();
  }

  // “原句”（报告，年份，章节，第N页）
  function citationText(item, sentence) {
    return `“${plainOf(sentence)}”（${citeParts(item)}）`;
  }

  async function copyText(text) {
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(text);
        return true;
      }
    } catch {
      // no permission: fall back to a selection and the copy command
    }
    const focused = document.activeElement;
    const area = el("textarea", "visually-hidden");
    area.value = text;
    area.setAttribute("readonly", "");
    area.setAttribute("aria-hidden", "true");
    document.body.append(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch {
      ok = false;
    }
    area.remove();
    if (focused instanceof HTMLElement) focused.focus();
    return ok;
  }

  // 复制引用: the quote with its citation, and a link that opens the passage.
  function quoteButton(item, sentence) {
    const button = el("button", "btn-secondary btn-small quote-btn", "复制引用");
    button.type = "button";
    let timer = 0;
    button.addEventListener("click", async () => {
      const ok = await copyText(`${citationText(item, sentence)}\n${chunkLink(item.chunk_id)}`);
      button.textContent = ok ? "已复制" : "复制失败";
      announce(ok ? "引用已复制到剪贴板。" : "无法写入剪贴板，请手动选择文字复制。");
      window.clearTimeout(timer);
      timer = window.setTimeout(() => {
        button.textContent = "复制引用";
      }, 2000);
    });
    return button;
  }

  function exportContent(data) {
    const answers = data.no_answer ? [] : data.answers && data.answers.length ? data.answers : [data.answer].filter(Boolean);
    return { query: data.query || "", answers, missing: data.missing_parts || [], results: data.results || [] };
  }

  // Quoted, and a leading = + - @ made literal so a spreadsheet never reads a cell as a formula.
  function csvCell(value) {
    let text = value === null || value === undefined ? "" : String(value);
    if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return `"${text.replace(/"/g, '""')}"`;
  }

  function exportCsv(data) {
    const { answers, missing, results } = exportContent(data);
    const section = (item) => (item.section_path || []).join(" › ");
    const rows = [["类型", "分项", "原文", "报告", "年份", "章节", "页码", "可信度", "引用", "链接"]];
    for (const a of answers) {
      rows.push(["答案", a.part || "", plainOf(a.text), a.title, a.year || "", section(a), a.page || "",
        (CONFIDENCE[a.confidence] || CONFIDENCE.low).label, citationText(a, a.text), chunkLink(a.chunk_id)]);
    }
    for (const m of missing) rows.push(["未找到", m.part, `没有找到可靠答案：${m.reason || ""}`, "", "", "", "", "", "", ""]);
    results.forEach((r, i) => {
      rows.push([`段落${i + 1}`, "", plainOf(r.text), r.title, r.year || "", section(r), r.page || "", "",
        citationText(r, r.text), chunkLink(r.chunk_id)]);
    });
    // A byte-order mark, so spreadsheet programs read the Chinese as UTF-8.
    return `\ufeff${rows.map((row) => row.map(csvCell).join(",")).join("\r\n")}\r\n`;
  }

  function exportMarkdown(data) {
    const { query, answers, missing, results } = exportContent(data);
    const lines = [`# 科技报告问答：${query}`, ""];
    lines.push("## 答案", "");
    if (!answers.length) lines.push(`没有找到可靠答案${data.no_answer_reason ? `（${data.no_answer_reason}）` : ""}。`, "");
    for (const a of answers) {
      if (a.part) lines.push(`### ${a.part}`, "");
      lines.push(`> ${plainOf(a.text)}`, ">", `> ——${citeParts(a)}，[查看原文](${chunkLink(a.chunk_id)})`, "");
    }
    for (const m of missing) lines.push(`### ${m.part}`, "", `没有找到可靠答案：${m.reason || ""}`, "");
    if (results.length) lines.push("## 检索到的段落", "");
    results.forEach((r, i) => {
      lines.push(`${i + 1}. ${citationText(r, r.text)} [查看原文](${chunkLink(r.chunk_id)})`);
    });
    return `${lines.join("\n").trimEnd()}\n`;
  }

  function download(kind) {
    if (!shown) return;
    const csv = kind === "csv";
    const content = csv ? exportCsv(shown) : exportMarkdown(shown);
    const blob = new Blob([content], { type: csv ? "text/csv;charset=utf-8" : "text/markdown;charset=utf-8" });
    const url = URL.createObjectURL(blob);
    const link = el("a");
    link.href = url;
    link.download = `科技报告问答-${new Date().toISOString().slice(0, 10)}.${csv ? "csv" : "md"}`;
    document.body.append(link);
    link.click();
    link.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 1000);
    announce(csv ? "已导出 CSV 文件。" : "已导出 Markdown 文件。");
  }

  // 导出: the answers and passages on screen, with their citations, as a file (made here: no server round trip).
  function showExport(data) {
    shown = data;
    if (!exportBar) {
      exportBar = el("div", "export-bar");
      exportBar.setAttribute("role", "group");
      exportBar.setAttribute("aria-label", "导出答案和段落");
      exportBar.append(el("span", "export-label", "导出："));
      for (const [kind, label] of [["csv", "导出 CSV"], ["md", "导出 Markdown"]]) {
        const button = el("button", "btn-secondary btn-small export-btn", label);
        button.type = "button";
        button.dataset.format = kind;
        button.addEventListener("click", () => download(kind));
        exportBar.append(button);
      }
      ui.status.after(exportBar);
    }
    exportBar.hidden = false;
  }

  /* ---------- context view ---------- */

  // An answer quoted from a table: its row as a small table, the cell the question asked about highlighted.
  function tableAnswer(row) {
    const table = el("table", "answer-table");
    if (row.caption) table.append(el("caption", "", row.caption));
    const head = el("tr");
    const body = el("tr");
    row.columns.forEach((column, i) => {
      head.append(el("th", i === row.matched_column ? "cell-match" : "", column));
      body.append(el("td", i === row.matched_column ? "cell-match" : "", row.values[i] || ""));
    });
    const thead = el("thead");
    const tbody = el("tbody");
    thead.append(head);
    tbody.append(body);
    table.append(thead, tbody);
    return table;
  }

  // The dialog's link to the original file (PDFs open at the cited page).
  function setFileLink(docId, page) {
    if (!ui.ctxFile) {
      ui.ctxFile = el("a", "ctx-file", "打开原始文件");
      ui.ctxFile.target = "_blank";
      ui.ctxFile.rel = "noopener";
      ui.ctxTitle.after(ui.ctxFile);
    }
    const url = `/api/documents/${encodeURIComponent(docId)}/file`;
    ui.ctxFile.href = page ? `${url}#page=${page}` : url;
    ui.ctxFile.textContent = page ? `打开原始文件（第${page}页）` : "打开原始文件";
  }

  async function openContext({ docId, start, end, sentence, trigger, page, chunkId }) {
    const seq = ++ctxState.seq;
    if (chunkId) setChunkHash(chunkId);
    setFileLink(docId, page);
    ctxState.trigger = trigger || null;
    ctxState.sections = [];
    ctxState.current = -1;
    ui.ctxMeta.textContent = "";
    ui.ctxTitle.textContent = documentsById.get(docId)?.title || "原文";
    ui.ctxLabel.textContent = "";
    ui.ctxPrev.disabled = true;
    ui.ctxNext.disabled = true;
    clear(ui.ctxBody);
    ui.ctxBody.append(el("p", "ctx-loading", "正在载入原文…"));
    ui.ctxBody.setAttribute("aria-busy", "true");
    if (!ui.dialog.open) ui.dialog.showModal();
    ui.ctxBody.focus({ preventScroll: true }); // PageDown and the arrows scroll the text at once
    try {
      const doc = await getDocument(docId);
      if (seq !== ctxState.seq) return;
      renderDocument(doc, start, end, sentence);
    } catch (err) {
      if (seq !== ctxState.seq) return;
      clear(ui.ctxBody);
      const box = el("div", "error-card");
      box.append(el("h3", "error-title", err.kind === "network" ? "无法连接服务器" : "无法载入原文"));
      box.append(el("p", "error-detail", err.message || String(err)));
      ui.ctxBody.append(box);
    } finally {
      if (seq === ctxState.seq) ui.ctxBody.setAttribute("aria-busy", "false");
    }
  }

  function renderDocument(doc, start, end, sentence) {
    ui.ctxTitle.textContent = doc.title;
    ui.ctxMeta.textContent = [doc.publisher, doc.year ? `${doc.year}年` : "", kindLabel(doc.kind)]
      .filter(Boolean)
      .join(" · ");
    clear(ui.ctxBody);
    const sections = Array.isArray(doc.sections) ? doc.sections : [];
    const overlaps = (p) => p.start < end && p.end > start;
    let current = -1;
    let firstHit = null;
    let sentenceMarked = false;
    const nodes = sections.map((section, index) => {
      const node = el("section", `doc-section level-${Math.min(Math.max(section.level || 1, 1), 4)}`);
      node.id = `ctx-sec-${index}`;
      const heading = el(section.level <= 1 ? "h3" : "h4", "doc-section-title", section.title);
      node.append(heading);
      for (const paragraph of section.paragraphs || []) {
        const p = el("p", "doc-paragraph");
        const hit = overlaps(paragraph);
        let marks = [];
        if (hit) {
          p.classList.add("is-passage");
          if (current === -1) current = index;
          if (!firstHit) firstHit = p;
          const found = !sentenceMarked && sentence ? locate(paragraph.text, sentence) : null;
          if (found) {
            marks = [[found[0], found[1], "answer-mark"]];
            sentenceMarked = true;
            firstHit = p;
          }
        }
        renderRich(p, paragraph.text, marks);
        node.append(p);
      }
      return node;
    });
    if (current === -1) current = bestSectionFor(sections, start);
    if (current !== -1) nodes[current].classList.add("is-current");
    ui.ctxBody.append(...nodes);
    if (!sections.length) ui.ctxBody.append(el("p", "ctx-loading", "这份报告没有可显示的正文。"));
    ctxState.sections = sections;
    setCurrentSection(current, false);
    const target = firstHit || nodes[current];
    if (target) requestAnimationFrame(() => target.scrollIntoView({ block: "center" }));
  }

  // The last section that starts at or before `start` (for passages in heading-only sections).
  function bestSectionFor(sections, start) {
    let best = sections.length ? 0 : -1;
    sections.forEach((section, index) => {
      const first = (section.paragraphs || [])[0];
      if (first && first.start <= start) best = index;
    });
    return best;
  }

  function setCurrentSection(index, scroll) {
    const sections = ctxState.sections;
    if (index < 0 || index >= sections.length) {
      ui.ctxLabel.textContent = "";
      return;
    }
    ctxState.current = index;
    const path = sections[index].path && sections[index].path.length ? sections[index].path : [sections[index].title];
    ui.ctxLabel.textContent = path.join(" › ");
    const focused = document.activeElement;
    ui.ctxPrev.disabled = index === 0;
    ui.ctxNext.disabled = index === sections.length - 1;
    // A button that just became disabled would drop focus to <body>: hand it to the text instead.
    if (focused instanceof HTMLButtonElement && focused.disabled) ui.ctxBody.focus({ preventScroll: true });
    if (scroll) {
      const node = document.getElementById(`ctx-sec-${index}`);
      if (node) node.scrollIntoView({ block: "start" });
    }
  }

  function closeContext() {
    if (ui.dialog.open) ui.dialog.close();
  }

  /* ---------- documents, filters, health ---------- */

  function fillFilters(documents) {
    documentsById = new Map(documents.map((d) => [d.id, d]));
    const keepDoc = ui.docFilter.value;
    const keepYear = ui.yearFilter.value;
    ui.docFilter.replaceChildren(new Option("全部报告", ""));
    for (const d of documents) ui.docFilter.append(new Option(d.year ? `${d.title}（${d.year}）` : d.title, d.id));
    const years = [...new Set(documents.map((d) => d.year).filter(Boolean))].sort((a, b) => b - a);
    ui.yearFilter.replaceChildren(new Option("全部年份", ""));
    for (const y of years) ui.yearFilter.append(new Option(`${y}年`, String(y)));
    ensureOption(ui.docFilter, keepDoc);
    ensureOption(ui.yearFilter, keepYear, `${keepYear}年`);
    ui.docFilter.value = keepDoc;
    ui.yearFilter.value = keepYear;
  }

  function kindLabel(kind) {
    return KIND_LABELS[kind] || kind || "";
  }

  function fillDocList(documents) {
    clear(ui.docList);
    for (const d of documents) {
      const li = el("li", "doc-card");
      const button = el("button", "doc-card-btn");
      button.type = "button";
      button.append(el("span", "doc-card-title", d.title));
      const meta = [d.year ? `${d.year}年` : "", d.publisher, kindLabel(d.kind), d.section_count ? `${d.section_count} 节` : ""];
      button.append(el("span", "doc-card-meta", meta.filter(Boolean).join(" · ")));
      button.addEventListener("click", () => openContext({ docId: d.id, start: -1, end: -1, sentence: null, trigger: button }));
      li.append(button);
      ui.docList.append(li);
    }
  }

  async function loadDocuments() {
    try {
      const documents = await api("/api/documents");
      if (Array.isArray(documents)) {
        fillFilters(documents);
        fillDocList(documents);
      }
    } catch (err) {
      if (!readUrlState().q) showError(err, () => init());
    }
  }

  async function loadHealth() {
    try {
      const health = await api("/api/health");
      const parts = ["服务正常"];
      if (health && health.chunk_count) parts.push(`${health.chunk_count} 个段落`);
      if (health && health.index_version) parts.push(`索引 ${health.index_version}`);
      ui.health.textContent = parts.join(" · ");
      ui.health.dataset.state = "ok";
    } catch (err) {
      ui.health.textContent = err.kind === "loading" ? "索引正在加载…" : "无法连接服务器";
      ui.health.dataset.state = "down";
    }
  }

  /* ---------- events ---------- */

  function submitFromForm() {
    const state = currentFormState();
    if (!state.q) {
      ui.input.focus();
      ui.status.textContent = "请输入问题或关键词。";
      announce("请输入问题或关键词。");
      return;
    }
    pushState(state);
    runSearch(state, true);
  }

  function onFilterChange() {
    const state = currentFormState();
    pushState(state);
    if (state.q) runSearch(state);
  }

  function isTypingTarget(target) {
    if (!(target instanceof HTMLElement)) return false;
    return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
  }

  function bindEvents() {
    ui.form.addEventListener("submit", (event) => {
      event.preventDefault();
      submitFromForm();
    });
    ui.docFilter.addEventListener("change", onFilterChange);
    ui.yearFilter.addEventListener("change", onFilterChange);
    for (const button of document.querySelectorAll(".example")) {
      button.addEventListener("click", () => {
        ui.input.value = button.dataset.q || button.textContent || "";
        submitFromForm();
      });
    }
    ui.errorRetry.addEventListener("click", () => {
      if (lastFailedAction) lastFailedAction();
    });
    document.addEventListener("keydown", (event) => {
      if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
      if (isTypingTarget(event.target) || ui.dialog.open) return;
      event.preventDefault();
      ui.input.focus();
      ui.input.select();
    });
    window.addEventListener("popstate", () => {
      const state = readUrlState();
      closeContext();
      applyStateToForm(state);
      runSearch(state);
    });
    ui.ctxClose.addEventListener("click", closeContext);
    ui.dialog.addEventListener("click", (event) => {
      if (event.target === ui.dialog) closeContext(); // a click on the backdrop
    });
    ui.dialog.addEventListener("close", () => {
      clearChunkHash();
      const trigger = ctxState.trigger;
      ctxState.trigger = null;
      if (trigger && trigger.isConnected) trigger.focus();
    });
    ui.ctxPrev.addEventListener("click", () => setCurrentSection(ctxState.current - 1, true));
    ui.ctxNext.addEventListener("click", () => setCurrentSection(ctxState.current + 1, true));
    window.addEventListener("hashchange", () => {
      pendingChunk = chunkFromHash();
      if (document.body.classList.contains("has-results")) openSharedChunk();
    });
  }

  async function init() {
    const state = readUrlState();
    pendingChunk = chunkFromHash(); // before replaceState, which drops the hash
    applyStateToForm(state);
    window.history.replaceState(state, "", stateUrl(state));
    loadHealth();
    if (state.q) runSearch(state);
    await loadDocuments();
  }

  bindEvents();
  init();
})();
