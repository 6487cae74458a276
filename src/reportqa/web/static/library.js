/* 科技报告问答 — the library page (/library): list, upload, edit, delete reports, rebuild the index.
 * Plain JS, no build step.
 *
 * Safety rule (as in app.js): every piece of data (titles, file names, server messages) is
 * inserted with textContent / createTextNode. Nothing is ever assigned to innerHTML.
 *
 * Writes need the admin token: it is entered once, checked against the server, kept in
 * sessionStorage (gone when the tab closes) and sent as `Authorization: Bearer …`. A 403
 * "invalid token" forgets it, so a stale token is never sent twice.
 */
"use strict";

(() => {
  const TOKEN_KEY = "reportqa.adminToken";
  const POLL_MS = 500;
  // A job id that never exists: GET /api/index/rebuild/<it> answers 404 for a right token, 401/403 otherwise.
  const TOKEN_PROBE = "/api/index/rebuild/token-check";
  const STAGES = {
    queued: "排队中",
    loading_model: "加载模型",
    reading: "读取文件",
    embedding: "嵌入文本",
    writing: "写入索引",
    done: "完成",
    failed: "失败",
  };
  // Where each stage's own progress sits on the overall bar (percent): reading and embedding take the time.
  const STAGE_SPAN = {
    queued: [0, 0],
    loading_model: [0, 5],
    reading: [5, 35],
    embedding: [35, 95],
    writing: [95, 99],
    done: [100, 100],
    failed: [100, 100],
  };
  const STATUS = {
    indexed: { label: "已索引", cls: "is-indexed" },
    pending: { label: "待重建", cls: "is-pending" },
    skipped: { label: "已跳过", cls: "is-skipped" },
  };
  const KIND_LABELS = {
    "annual report chapter": "年度报告章节",
    "official reply": "建议答复",
  };
  const FORMAT_LABELS = { pdf: "PDF", docx: "DOCX", html: "HTML", md: "Markdown", txt: "纯文本" };
  const DEFAULT_FORMATS = [".md", ".txt", ".pdf", ".docx", ".html"];
  const MIN_YEAR = 1900;
  const MAX_YEAR = 2100;

  const $ = (id) => document.getElementById(id);
  const ui = {
    main: $("main"),
    loadError: $("load-error"),
    loadErrorDetail: $("load-error-detail"),
    loadRetry: $("load-retry"),
    accessLoading: $("access-loading"),
    readonlyNote: $("readonly-note"),
    tokenForm: $("token-form"),
    tokenInput: $("token-input"),
    tokenSave: $("token-save"),
    tokenSaved: $("token-saved"),
    tokenClear: $("token-clear"),
    tokenMessage: $("token-message"),
    dropzone: $("dropzone"),
    pickFiles: $("pick-files"),
    fileInput: $("file-input"),
    uploadHint: $("upload-hint"),
    uploadResults: $("upload-results"),
    rebuildBtn: $("rebuild-btn"),
    pendingNote: $("pending-note"),
    progressBox: $("rebuild-progress-box"),
    progressBar: $("rebuild-bar"),
    progressText: $("rebuild-text"),
    rebuildResult: $("rebuild-result"),
    rebuildLive: $("rebuild-live"),
    reportsSummary: $("reports-summary"),
    reportsBody: $("reports-body"),
    reportsScroll: $("reports-scroll"),
    announcer: $("announce"),
    editDialog: $("edit-dialog"),
    editForm: $("edit-form"),
    editFile: $("edit-file"),
    editTitle: $("edit-title-input"),
    editYear: $("edit-year"),
    editContentYears: $("edit-content-years"),
    editPublisher: $("edit-publisher"),
    editKind: $("edit-kind"),
    kindOptions: $("kind-options"),
    editMessage: $("edit-message"),
    editCancel: $("edit-cancel"),
    editSave: $("edit-save"),
    deleteDialog: $("delete-dialog"),
    deleteForm: $("delete-form"),
    deleteText: $("delete-text"),
    deleteMessage: $("delete-message"),
    deleteCancel: $("delete-cancel"),
    deleteConfirm: $("delete-confirm"),
  };

  const state = {
    listing: null, // the last GET /api/library
    token: readToken(),
    job: null, // the rebuild being followed
    pollTimer: 0,
    lastStage: "",
    uploading: false,
    editing: null, // the entry in the edit dialog
    deleting: null, // the entry in the delete dialog
    dialogTrigger: null,
  };

  /* ---------- small helpers ---------- */

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  let announceTimer = 0;

  // Emptied first and refilled a moment later, so the same words are read again.
  function announce(text) {
    window.clearTimeout(announceTimer);
    ui.announcer.textContent = "";
    announceTimer = window.setTimeout(() => {
      ui.announcer.textContent = text;
    }, 100);
  }

  function readToken() {
    try {
      return window.sessionStorage.getItem(TOKEN_KEY) || "";
    } catch {
      return "";
    }
  }

  function storeToken(token) {
    state.token = token;
    try {
      if (token) window.sessionStorage.setItem(TOKEN_KEY, token);
      else window.sessionStorage.removeItem(TOKEN_KEY);
    } catch {
      /* storage refused (private mode): the token lives in this page only */
    }
  }

  function isChinese(text) {
    return /[\u3400-\u9fff]/.test(text || "");
  }

  function pad(n) {
    return String(n).padStart(2, "0");
  }

  // "2025-06-01 14:03" in the browser's time zone; "" for no date.
  function formatTime(iso) {
    if (!iso) return "";
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return iso;
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
      `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  }

  function formatBytes(bytes) {
    if (!Number.isFinite(bytes)) return "";
    const short = (n) => String(Number(n.toFixed(1))); // 50 MB, not 50.0 MB
    if (bytes < 1000) return `${bytes} 字节`;
    if (bytes < 1_000_000) return `${short(bytes / 1000)} KB`;
    return `${short(bytes / 1_000_000)} MB`;
  }

  // The accepted suffixes as the user knows them: .md and .markdown are both "MD", .htm and .html "HTML".
  function formatNames(formats) {
    const names = formats.map((f) => {
      const bare = f.replace(/^\./, "").toLowerCase();
      return { markdown: "MD", htm: "HTML" }[bare] || bare.toUpperCase();
    });
    return [...new Set(names)];
  }

  function kindLabel(kind) {
    return KIND_LABELS[kind] || kind || "";
  }

  function kindValue(label) {
    for (const [value, zh] of Object.entries(KIND_LABELS)) if (zh === label) return value;
    return label;
  }

  function titleOf(entry) {
    return entry.title || entry.file;
  }

  /* ---------- the API, its errors in Chinese ---------- */

  class ApiError extends Error {
    constructor(message, status, detail) {
      super(message);
      this.status = status; // 0: no answer from the server
      this.detail = detail || "";
    }
  }

  function detailOf(body) {
    const detail = body && body.detail;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) return detail.map((d) => (d && d.msg) || "").filter(Boolean).join("; ");
    return "";
  }

  // The server's English messages this page can meet, in Chinese (its library messages are Chinese already):
  // the API's own, and the build's warnings and reasons for skipping a file, which the page shows too.
  const ZH_DETAILS = [
    [/^a rebuild is already running \(job ([^)]+)\)/, (m) => `已有重建任务在运行（任务 ${m[1]}），请等它完成。`],
    [/^the index is still loading/, () => "索引正在加载，请几秒钟后再试。"],
    [/^unknown rebuild job '([^']*)'/, (m) => `没有编号为 ${m[1]} 的重建任务。`],
    [/^invalid document id/, () => "报告编号无效，请刷新报告列表后重试。"],
    [/^the build failed unexpectedly \(([^)]+)\)/, (m) => `构建意外失败（${m[1]}），详见服务器日志。`],
    [/^the corpus in (.*) has no text to index/, (m) => `语料文件夹 ${m[1]} 中没有可索引的文字。`],
    [/^corpus folder not found/, () => "找不到语料文件夹，请检查服务的 --corpus 设置。"],
    [/^no index found/, () => "服务器上还没有索引。"],
    [/^two reports share the id '([^']*)'/, (m) => `有两份报告的 id 都是“${m[1]}”：请在 reports.toml 中给它们不同的 id。`],
    [/^reports\.toml is not valid TOML: (.*)$/, (m) => `reports.toml 不是有效的 TOML（${m[1]}），请修正后重试。`],
    [/^'(.+)' has no entry in reports\.toml: using title '(.*)' and year (\S+) guessed from its text$/,
      (m) => `“${m[1]}”不在 reports.toml 中：标题“${m[2]}”` +
        `${m[3] === "None" ? "由正文推断，未能推断年份" : `和年份 ${m[3]} 由正文推断`}；可点击“编辑”修改。`],
    [/^reports\.toml lists '(.+)' but the file is not in the corpus/,
      (m) => `reports.toml 列出了“${m[1]}”，但语料文件夹中没有这个文件。`],
    [/^(.+) has no text layer \(probably scanned images\)/,
      (m) => `“${m[1]}”没有文字层（可能是扫描图片）：不支持 OCR，请先转换为文字。`],
    [/^(.+) is password-protected/, (m) => `“${m[1]}”有密码保护：请去掉密码，或导出为文字。`],
    [/^could not read (.+): it is not a valid (.+) file/,
      (m) => `无法读取“${m[1]}”：它不是有效的 ${m[2]} 文件（可能已损坏、加密或扩展名不符），请重新导出或转换为 .txt。`],
    [/^(.+) has no text in it/, (m) => `“${m[1]}”中没有文字。`],
    [/^(.+) looks like binary data, not text/, (m) => `“${m[1]}”看起来是二进制数据而不是文字：请另存为 UTF-8 文本。`],
    [/^could not work out the text encoding of (.+?);/, (m) => `无法识别“${m[1]}”的文字编码：请另存为 UTF-8。`],
    [/^(.+) has an unsupported file type/, (m) => `“${m[1]}”的文件类型不受支持。`],
    [/^(.+) is ([\d.]+) MB, over the ([\d.]+) MB limit/,
      (m) => `“${m[1]}”有 ${m[2]} MB，超过 ${m[3]} MB 的上限：请拆分文件，或调高 chunking.max_file_mb 设置。`],
    [/^it links to a file outside the corpus folder/, () => "它链接到语料文件夹之外的文件。"],
    [/^it could not be read \(([^)]+)\)/, (m) => `无法读取（${m[1]}）。`],
  ];

  // A server or build message in Chinese; null when it is English and not known here.
  function translated(detail) {
    for (const [pattern, render] of ZH_DETAILS) {
      const match = pattern.exec(detail);
      if (match) return render(match);
    }
    return isChinese(detail) ? detail : null;
  }

  // For an error line: an unknown English message is kept, marked as the server's own words.
  function zhDetail(detail) {
    if (!detail) return "";
    return translated(detail) || `服务器信息：${detail}`;
  }

  const STATUS_ZH = {
    400: "请求无效",
    404: "找不到该报告",
    409: "暂时不能修改",
    411: "请求无效",
    413: "文件太大",
    415: "文件类型不受支持",
    422: "填写的内容无效",
    503: "服务暂时不可用",
  };

  function adminDisabled(detail) {
    return /disabled|REPORTQA_ADMIN_TOKEN/.test(detail || "");
  }

  // One Chinese line for a failed request: what the status means, then the server's own reason.
  function errorMessage(status, detail, headers) {
    if (status === 401) return "需要管理令牌：请先在“管理权限”中输入管理令牌。";
    if (status === 403) {
      if (adminDisabled(detail)) return "服务器未启用管理功能：请设置环境变量 REPORTQA_ADMIN_TOKEN 后重启服务。";
      return "管理令牌不正确，已清除本页保存的令牌：请重新输入正确的令牌。";
    }
    if (status === 429) {
      const wait = Number((headers && headers.get("Retry-After")) || (/retry in (\d+)/.exec(detail) || [])[1]);
      return wait ? `输错令牌的次数过多：请 ${wait} 秒后再试。` : "输错令牌的次数过多：请稍后再试。";
    }
    const reason = zhDetail(detail);
    const prefix = STATUS_ZH[status] || (status >= 500 ? `服务器内部错误（HTTP ${status}）` : `请求失败（HTTP ${status}）`);
    return reason ? `${prefix}：${reason}` : `${prefix}。`;
  }

  async function request(method, path, { json, form, auth = false } = {}) {
    const headers = { Accept: "application/json" };
    if (auth && state.token) headers.Authorization = `Bearer ${state.token}`;
    let body;
    if (json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(json);
    } else if (form) {
      body = form;
    }
    let response;
    try {
      response = await fetch(path, { method, headers, body, cache: "no-store" });
    } catch {
      throw new ApiError("无法连接服务器：请确认服务已启动（reportqa serve）后重试。", 0);
    }
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    if (response.ok) return data;
    const detail = detailOf(data);
    if (auth && response.status === 403 && !adminDisabled(detail)) forgetToken();
    throw new ApiError(errorMessage(response.status, detail, response.headers), response.status, detail);
  }

  /* ---------- access: read-only, token needed, or ready to write ---------- */

  function canWrite() {
    return Boolean(state.listing && state.listing.writable && state.token);
  }

  function rebuilding() {
    return Boolean(state.job && state.job.state === "running");
  }

  function applyAccess() {
    const listing = state.listing;
    ui.accessLoading.hidden = Boolean(listing);
    const writable = Boolean(listing && listing.writable);
    ui.readonlyNote.hidden = !listing || writable;
    ui.tokenForm.hidden = !writable || Boolean(state.token);
    ui.tokenSaved.hidden = !writable || !state.token;
    const enabled = canWrite() && !rebuilding();
    ui.pickFiles.disabled = !enabled || state.uploading;
    ui.dropzone.dataset.disabled = String(!enabled || state.uploading);
    ui.rebuildBtn.disabled = !enabled;
    ui.rebuildBtn.textContent = rebuilding() ? "正在重建…" : "重建索引";
    for (const button of ui.reportsBody.querySelectorAll("button[data-action]")) button.disabled = !enabled;
  }

  function forgetToken() {
    storeToken("");
    applyAccess();
  }

  async function saveToken(event) {
    event.preventDefault();
    const token = ui.tokenInput.value.trim();
    ui.tokenMessage.textContent = "";
    if (!token) {
      ui.tokenMessage.textContent = "请输入管理令牌。";
      ui.tokenInput.setAttribute("aria-invalid", "true");
      ui.tokenInput.focus();
      return;
    }
    ui.tokenSave.disabled = true;
    const previous = state.token;
    state.token = token;
    try {
      await request("GET", TOKEN_PROBE, { auth: true });
      accepted(token); // 200 cannot happen for the probe id, but would mean the token works too
    } catch (err) {
      if (err.status === 404) {
        accepted(token);
      } else {
        state.token = previous;
        storeToken(previous);
        ui.tokenMessage.textContent = err.status === 403 && !adminDisabled(err.detail)
          ? "管理令牌不正确，没有保存：请检查后重新输入（即服务器的 REPORTQA_ADMIN_TOKEN）。"
          : err.message;
        ui.tokenInput.setAttribute("aria-invalid", "true");
        ui.tokenInput.select();
        ui.tokenInput.focus();
      }
    } finally {
      ui.tokenSave.disabled = false;
    }
  }

  function accepted(token) {
    storeToken(token);
    ui.tokenInput.value = "";
    ui.tokenInput.removeAttribute("aria-invalid");
    ui.tokenMessage.textContent = "";
    applyAccess();
    announce("管理令牌正确，已保存。现在可以上传、编辑、删除报告和重建索引。");
    ui.tokenClear.focus();
  }

  function clearToken() {
    forgetToken();
    ui.tokenMessage.textContent = "";
    announce("已清除管理令牌：要修改报告库，请重新输入。");
    ui.tokenInput.focus();
  }

  // A write answered 403 "invalid token": the token is forgotten; say so next to the token field too.
  function noteAuthFailure(err) {
    if (err.status === 401 || (err.status === 403 && !adminDisabled(err.detail)) || err.status === 429) {
      ui.tokenMessage.textContent = err.message;
    }
  }

  /* ---------- the list of reports ---------- */

  async function loadLibrary() {
    try {
      const listing = await request("GET", "/api/library");
      state.listing = listing;
      ui.loadError.hidden = true;
      renderReports(listing.reports || []);
      renderUploadHint(listing);
      fillKindOptions(listing.reports || []);
      applyAccess();
      if (listing.rebuild && listing.rebuild.state === "running" && !state.pollTimer) follow(listing.rebuild);
      return listing;
    } catch (err) {
      ui.loadErrorDetail.textContent = err.message;
      ui.loadError.hidden = false;
      ui.accessLoading.hidden = true;
      return null;
    }
  }

  function renderUploadHint(listing) {
    const formats = listing.formats || DEFAULT_FORMATS;
    ui.fileInput.accept = formats.join(",");
    const limit = listing.max_upload_bytes ? `每个文件不超过 ${formatBytes(listing.max_upload_bytes)}，` : "";
    ui.uploadHint.textContent = `支持 ${formatNames(formats).join("、")} 文件，${limit}可一次选择多个文件。` +
      "上传后的报告状态为“待重建”，重建索引后才能检索到。";
  }

  function fillKindOptions(reports) {
    const labels = new Set(Object.values(KIND_LABELS));
    for (const r of reports) if (r.kind) labels.add(kindLabel(r.kind));
    ui.kindOptions.replaceChildren(...[...labels].map((label) => {
      const option = document.createElement("option");
      option.value = label;
      return option;
    }));
  }

  function cell(label, text, className) {
    const td = el("td", className, text);
    td.dataset.label = label;
    return td;
  }

  function numberCell(label, value) {
    return cell(label, value === null || value === undefined ? "—" : String(value), "num");
  }

  function timeCell(label, iso) {
    const td = cell(label, iso ? "" : "—");
    if (iso) {
      const [day, clock] = formatTime(iso).split(" ");
      const time = el("time");
      time.dateTime = iso;
      time.append(el("span", "time-day", day), " ", el("span", "time-clock", clock || ""));
      td.append(time);
    }
    return td;
  }

  function statusCell(entry) {
    const td = cell("状态", "", "status-cell wraps");
    const info = STATUS[entry.status] || STATUS.pending;
    td.append(el("span", `status-badge ${info.cls}`, info.label));
    if (entry.reason) {
      const zh = translated(entry.reason);
      const reason = el("span", "status-reason", zh || entry.reason);
      if (!zh) reason.lang = "en"; // a reason this page cannot translate is read as the English it is
      td.append(reason);
    }
    return td;
  }

  function actionsCell(entry) {
    const td = cell("操作", "", "actions-cell");
    const edit = el("button", "btn-secondary btn-small", "编辑");
    edit.type = "button";
    edit.dataset.action = "edit";
    edit.dataset.id = entry.id;
    edit.setAttribute("aria-label", `编辑：${titleOf(entry)}`);
    edit.addEventListener("click", () => openEdit(entry, edit));
    const remove = el("button", "btn-secondary btn-small btn-danger-outline", "删除");
    remove.type = "button";
    remove.dataset.action = "delete";
    remove.dataset.id = entry.id;
    remove.setAttribute("aria-label", `删除：${titleOf(entry)}`);
    remove.addEventListener("click", () => openDelete(entry, remove));
    td.append(edit, remove);
    return td;
  }

  function renderReports(reports) {
    const rows = reports.map((entry) => {
      const tr = el("tr");
      tr.dataset.id = entry.id;
      tr.dataset.status = entry.status;
      const head = el("th", "report-cell");
      head.scope = "row";
      head.append(el("span", "report-title", titleOf(entry)));
      head.append(el("span", "report-file", `${entry.file} · ${formatBytes(entry.size_bytes)}`));
      let year = entry.year ? String(entry.year) : "—";
      const others = (entry.content_years || []).filter((y) => y !== entry.year);
      if (others.length) year += `（数据 ${others.join("、")}）`;
      tr.append(
        head,
        cell("年份", year),
        cell("发布单位", entry.publisher || "—", "wraps"),
        cell("类型", kindLabel(entry.kind) || "—"),
        cell("格式", FORMAT_LABELS[entry.format] || entry.format),
        numberCell("节", entry.sections),
        numberCell("段落", entry.chunks),
        numberCell("页数", entry.pages),
        timeCell("添加时间", entry.added_at),
        timeCell("索引时间", entry.indexed_at),
        statusCell(entry),
        actionsCell(entry),
      );
      return tr;
    });
    if (!rows.length) {
      const tr = el("tr");
      const td = el("td", "empty-row", "语料文件夹中还没有报告。");
      td.colSpan = 12;
      tr.append(td);
      rows.push(tr);
    }
    ui.reportsBody.replaceChildren(...rows);
    const count = (status) => reports.filter((r) => r.status === status).length;
    const parts = [`共 ${reports.length} 份报告`, `已索引 ${count("indexed")} 份`];
    if (count("pending")) parts.push(`待重建 ${count("pending")} 份`);
    if (count("skipped")) parts.push(`已跳过 ${count("skipped")} 份`);
    ui.reportsSummary.textContent = `${parts.join("，")}。`;
    ui.pendingNote.textContent = count("pending")
      ? `有 ${count("pending")} 份报告待重建：重建索引后，问答才会用上这些修改。`
      : "全部报告都已在索引中。";
  }

  /* ---------- upload: one request per file, so each file gets its own outcome ---------- */

  function suffixOf(name) {
    const dot = name.lastIndexOf(".");
    return dot > 0 ? name.slice(dot).toLowerCase() : "";
  }

  // Why the file cannot be sent at all (checked again by the server, by content), or "".
  function localRefusal(file) {
    const listing = state.listing || {};
    const formats = listing.formats || DEFAULT_FORMATS;
    if (!formats.includes(suffixOf(file.name))) {
      return `文件类型不受支持：只能上传 ${formatNames(formats).join("、")} 文件。`;
    }
    if (listing.max_upload_bytes && file.size > listing.max_upload_bytes) {
      return `文件太大：${formatBytes(file.size)}，超过上限 ${formatBytes(listing.max_upload_bytes)}。`;
    }
    if (file.size === 0) return "文件是空的：没有可索引的内容。";
    return "";
  }

  function resultItem(file) {
    const li = el("li", "upload-item is-working");
    li.append(el("span", "upload-name", file.name), el("span", "upload-outcome", "正在上传…"));
    ui.uploadResults.prepend(li);
    return li;
  }

  function setOutcome(li, ok, text) {
    li.className = `upload-item ${ok ? "is-ok" : "is-failed"}`;
    li.querySelector(".upload-outcome").textContent = text;
  }

  async function uploadFiles(fileList) {
    const files = [...fileList];
    if (!files.length) return;
    if (!canWrite() || rebuilding() || state.uploading) {
      announce(rebuilding() ? "正在重建索引，请等重建完成后再上传。" : "请先输入管理令牌，再上传报告。");
      return;
    }
    state.uploading = true;
    applyAccess();
    let added = 0;
    let failed = 0;
    for (const file of files) {
      const li = resultItem(file);
      const refusal = localRefusal(file);
      if (refusal) {
        setOutcome(li, false, refusal);
        failed += 1;
        continue;
      }
      if (!state.token) {
        setOutcome(li, false, "未上传：请先输入管理令牌。");
        failed += 1;
        continue;
      }
      const form = new FormData();
      form.append("files", file, file.name);
      try {
        const body = await request("POST", "/api/documents", { form, auth: true });
        const entry = body && body.added && body.added[0];
        setOutcome(li, true, entry && entry.title ? `已添加为《${entry.title}》，待重建索引。` : "已添加，待重建索引。");
        added += 1;
      } catch (err) {
        setOutcome(li, false, err.message);
        noteAuthFailure(err);
        failed += 1;
      }
    }
    state.uploading = false;
    ui.fileInput.value = "";
    await loadLibrary();
    const summary = failed
      ? `上传完成：成功 ${added} 个，失败 ${failed} 个，原因见上传结果。`
      : `上传完成：${added} 个文件已添加，重建索引后生效。`;
    announce(summary);
  }

  function bindDropzone() {
    const zone = ui.dropzone;
    const enabled = () => zone.dataset.disabled !== "true";
    for (const type of ["dragenter", "dragover"]) {
      zone.addEventListener(type, (event) => {
        event.preventDefault();
        if (event.dataTransfer) event.dataTransfer.dropEffect = enabled() ? "copy" : "none";
        zone.classList.toggle("is-dragover", enabled());
      });
    }
    zone.addEventListener("dragleave", (event) => {
      if (!zone.contains(event.relatedTarget)) zone.classList.remove("is-dragover");
    });
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("is-dragover");
      if (event.dataTransfer && event.dataTransfer.files) uploadFiles(event.dataTransfer.files);
    });
    // A file dropped next to the zone must not make the browser leave the page to open it.
    for (const type of ["dragover", "drop"]) window.addEventListener(type, (event) => event.preventDefault());
    ui.pickFiles.addEventListener("click", () => ui.fileInput.click());
    ui.fileInput.addEventListener("change", () => uploadFiles(ui.fileInput.files || []));
  }

  /* ---------- rebuild with live progress ---------- */

  function stageOf(job) {
    if (job.stage) return job.stage;
    if (job.state === "succeeded") return "done";
    if (job.state === "failed") return "failed";
    return job.to_embed ? "embedding" : "reading"; // a server without the stage field
  }

  function percentOf(job, stage) {
    const [from, to] = STAGE_SPAN[stage] || [0, 0];
    let fraction = 0;
    if (stage === "reading" && job.files_total) fraction = (job.files_read || 0) / job.files_total;
    if (stage === "embedding" && job.to_embed) fraction = (job.embedded || 0) / job.to_embed;
    return Math.round(from + (to - from) * Math.min(1, fraction));
  }

  function progressLine(job, stage) {
    const parts = [`阶段：${STAGES[stage] || stage}`];
    if (job.files_total) parts.push(`已读文件 ${job.files_read || 0}/${job.files_total}`);
    if (job.to_embed || ["embedding", "writing", "done"].includes(stage)) {
      parts.push(`已嵌入 ${job.embedded || 0}/${job.to_embed || 0}`);
    }
    return parts.join(" · ");
  }

  function renderProgress(job) {
    const stage = stageOf(job);
    ui.progressBox.hidden = false;
    ui.progressBar.value = percentOf(job, stage);
    ui.progressText.textContent = progressLine(job, stage);
    if (stage !== state.lastStage && job.state === "running") {
      state.lastStage = stage;
      ui.rebuildLive.textContent = `重建索引：${STAGES[stage] || stage}…`;
    }
  }

  async function startRebuild() {
    if (!canWrite() || rebuilding()) return;
    ui.rebuildResult.hidden = true;
    ui.rebuildBtn.disabled = true;
    try {
      const job = await request("POST", "/api/index/rebuild", { auth: true });
      follow(job);
    } catch (err) {
      const running = /^a rebuild is already running \(job ([^)]+)\)/.exec(err.detail);
      if (err.status === 409 && running) {
        follow({ job_id: running[1], state: "running", embedded: 0, to_embed: 0 });
        return;
      }
      showResult(false, err.message);
      noteAuthFailure(err);
      applyAccess();
    }
  }

  // Follows a running job until it ends: with the token through its own endpoint, else through the listing.
  function follow(job) {
    state.job = job;
    state.lastStage = "";
    ui.rebuildResult.hidden = true;
    renderProgress(job);
    applyAccess();
    window.clearTimeout(state.pollTimer);
    state.pollTimer = window.setTimeout(poll, POLL_MS);
  }

  async function poll() {
    const id = state.job.job_id;
    let job = null;
    try {
      if (state.token) {
        job = await request("GET", `/api/index/rebuild/${encodeURIComponent(id)}`, { auth: true });
      } else {
        const listing = await request("GET", "/api/library");
        job = listing.rebuild && listing.rebuild.job_id === id ? listing.rebuild : null;
      }
    } catch (err) {
      if (err.status === 0 || err.status >= 500) { // the server may be busy or restarting: keep trying
        ui.progressText.textContent = `${progressLine(state.job, stageOf(state.job))}（${err.message}）`;
        state.pollTimer = window.setTimeout(poll, POLL_MS * 4);
        return;
      }
      finish({ ...state.job, state: "failed", error: err.message });
      return;
    }
    if (!job) {
      finish({ ...state.job, state: "failed", error: "找不到这个重建任务（服务器可能已重启）。" });
      return;
    }
    state.job = job;
    renderProgress(job);
    if (job.state === "running") {
      state.pollTimer = window.setTimeout(poll, POLL_MS);
    } else {
      finish(job);
    }
  }

  function seconds(job) {
    if (!job.finished_at || !job.started_at) return "";
    return `，用时 ${Math.max(0.1, job.finished_at - job.started_at).toFixed(1)} 秒`;
  }

  async function finish(job) {
    state.pollTimer = 0;
    state.job = job;
    renderProgress(job);
    const extra = [];
    let text;
    if (job.state === "succeeded") {
      text = job.up_to_date
        ? `索引已是最新，无需重建${seconds(job)}。`
        : `重建完成：索引版本 ${job.version || "?"}，共 ${job.chunk_count ?? "?"} 个段落${seconds(job)}。问答页已在使用新索引。`;
      for (const skipped of job.skipped || []) extra.push(`已跳过 ${skipped.file}：${zhDetail(skipped.reason)}`);
      for (const warning of job.warnings || []) extra.push(zhDetail(warning));
    } else {
      text = `重建失败：${zhDetail(job.error) || "原因不明"}。原来的索引继续使用。`.replace("。。", "。");
    }
    showResult(job.state === "succeeded", text, extra);
    applyAccess();
    await loadLibrary();
  }

  function showResult(ok, text, extra = []) {
    const box = ui.rebuildResult;
    box.className = `rebuild-result ${ok ? "is-ok" : "is-failed"}`;
    const lines = [el("p", "rebuild-result-text", text)];
    if (extra.length) {
      const list = el("ul", "rebuild-notes");
      for (const line of extra) list.append(el("li", "", line));
      lines.push(list);
    }
    box.replaceChildren(...lines);
    box.hidden = false;
    ui.rebuildLive.textContent = text;
  }

  /* ---------- edit a report's metadata ---------- */

  function openDialog(dialog, trigger) {
    state.dialogTrigger = trigger;
    dialog.showModal();
  }

  function openEdit(entry, trigger) {
    state.editing = entry;
    ui.editFile.textContent = `文件：${entry.file}。`;
    ui.editTitle.value = entry.title || "";
    ui.editYear.value = entry.year ? String(entry.year) : "";
    ui.editContentYears.value = (entry.content_years || []).join("，");
    ui.editPublisher.value = entry.publisher || "";
    ui.editKind.value = kindLabel(entry.kind);
    ui.editMessage.textContent = "";
    for (const input of ui.editForm.querySelectorAll("input")) input.removeAttribute("aria-invalid");
    openDialog(ui.editDialog, trigger);
    ui.editTitle.focus();
  }

  function invalid(input, message) {
    input.setAttribute("aria-invalid", "true");
    input.focus();
    ui.editMessage.textContent = message;
    return null;
  }

  function parseYear(text) {
    if (!/^\d{4}$/.test(text)) return NaN;
    const year = Number(text);
    return year >= MIN_YEAR && year <= MAX_YEAR ? year : NaN;
  }

  // The fields that changed, as the PATCH body; null when a value is invalid (the message is shown).
  function editChanges(entry) {
    for (const input of ui.editForm.querySelectorAll("input")) input.removeAttribute("aria-invalid");
    const text = (input) => input.value.replace(/\s+/g, " ").trim();
    const title = text(ui.editTitle) || null;
    const yearText = text(ui.editYear).replace(/年$/, "");
    const year = yearText ? parseYear(yearText) : null;
    if (Number.isNaN(year)) return invalid(ui.editYear, `年份须为 ${MIN_YEAR} 到 ${MAX_YEAR} 之间的四位数字，如 2024。`);
    const contentYears = [];
    for (const part of text(ui.editContentYears).split(/[,，、;；\s]+/).filter(Boolean)) {
      const value = parseYear(part.replace(/年$/, ""));
      if (Number.isNaN(value)) {
        return invalid(ui.editContentYears, `内容年份“${part}”无效：请填写 ${MIN_YEAR} 到 ${MAX_YEAR} 之间的年份，用逗号分隔。`);
      }
      if (!contentYears.includes(value)) contentYears.push(value);
    }
    const publisher = text(ui.editPublisher) || null;
    const kindText = text(ui.editKind);
    const kind = kindText ? kindValue(kindText) : null;
    const changes = {};
    if (title !== (entry.title || null)) changes.title = title;
    if (year !== (entry.year || null)) changes.year = year;
    if (publisher !== (entry.publisher || null)) changes.publisher = publisher;
    if (kind !== (entry.kind || null)) changes.kind = kind;
    if (contentYears.join(",") !== (entry.content_years || []).join(",")) changes.content_years = contentYears;
    return changes;
  }

  async function saveEdit(event) {
    event.preventDefault();
    const entry = state.editing;
    if (!entry) return;
    ui.editMessage.textContent = "";
    const changes = editChanges(entry);
    if (changes === null) return;
    if (!Object.keys(changes).length) {
      ui.editDialog.close();
      announce("没有修改任何内容。");
      return;
    }
    ui.editSave.disabled = true;
    try {
      const saved = await request("PATCH", `/api/documents/${encodeURIComponent(entry.id)}`, {
        json: changes, auth: true,
      });
      ui.editDialog.close();
      await loadLibrary();
      announce(`已保存《${titleOf(saved || entry)}》的信息，重建索引后生效。`);
      refocus(entry.id, "edit");
    } catch (err) {
      ui.editMessage.textContent = err.message;
      noteAuthFailure(err);
    } finally {
      ui.editSave.disabled = false;
    }
  }

  /* ---------- delete a report, after confirming ---------- */

  function openDelete(entry, trigger) {
    state.deleting = entry;
    ui.deleteText.textContent = `确定删除《${titleOf(entry)}》（${entry.file}）吗？文件会移到语料文件夹的 .trash/ 中，` +
      "可以手动找回；重建索引后，它不再出现在答案里。";
    ui.deleteMessage.textContent = "";
    openDialog(ui.deleteDialog, trigger);
    ui.deleteCancel.focus();
  }

  async function confirmDelete(event) {
    event.preventDefault();
    const entry = state.deleting;
    if (!entry) return;
    ui.deleteConfirm.disabled = true;
    try {
      await request("DELETE", `/api/documents/${encodeURIComponent(entry.id)}`, { auth: true });
      state.dialogTrigger = null; // its row is gone
      ui.deleteDialog.close();
      await loadLibrary();
      announce(`已删除《${titleOf(entry)}》，重建索引后生效。`);
      ui.reportsScroll.focus();
    } catch (err) {
      ui.deleteMessage.textContent = err.message;
      noteAuthFailure(err);
    } finally {
      ui.deleteConfirm.disabled = false;
    }
  }

  // After the list is redrawn, focus the same button of the same report (the old one is gone).
  function refocus(id, action) {
    state.dialogTrigger = null;
    const button = [...ui.reportsBody.querySelectorAll(`button[data-action="${action}"]`)]
      .find((b) => b.dataset.id === id);
    if (button && !button.disabled) button.focus();
  }

  /* ---------- events ---------- */

  function bindEvents() {
    ui.tokenForm.addEventListener("submit", saveToken);
    ui.tokenInput.addEventListener("input", () => ui.tokenInput.removeAttribute("aria-invalid"));
    ui.tokenClear.addEventListener("click", clearToken);
    ui.loadRetry.addEventListener("click", loadLibrary);
    ui.rebuildBtn.addEventListener("click", startRebuild);
    ui.editForm.addEventListener("submit", saveEdit);
    ui.editCancel.addEventListener("click", () => ui.editDialog.close());
    ui.deleteForm.addEventListener("submit", confirmDelete);
    ui.deleteCancel.addEventListener("click", () => ui.deleteDialog.close());
    for (const dialog of [ui.editDialog, ui.deleteDialog]) {
      dialog.addEventListener("close", () => {
        const trigger = state.dialogTrigger;
        state.dialogTrigger = null;
        if (trigger && trigger.isConnected) trigger.focus();
      });
      dialog.addEventListener("click", (event) => {
        if (event.target === dialog) dialog.close(); // a click on the backdrop
      });
    }
    bindDropzone();
  }

  bindEvents();
  applyAccess();
  loadLibrary();
})();
