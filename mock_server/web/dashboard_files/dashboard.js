// mj-mock dashboard: plain JavaScript, no build step, no dependencies.
//
// Every user-provided string (prompts, keys, fail reasons, hook URLs, journal entries) reaches
// the page through textContent or a text node, never innerHTML, so `<script>` in a prompt
// shows as text. Every action is a same-origin JSON fetch to the ordinary control API, with
// the control token (from ?token= or the token form, kept in sessionStorage) when there is one.
"use strict";

(function () {
  const DATA_URL = "/__mock/ui/data";
  const REQUESTS_URL = "/__mock/requests";
  const TOKEN_KEY = "mj-mock-control-token";
  const POLL_MS = 1500;
  const REQUESTS_SHOWN = 100;

  const state = {
    page: 1,
    perPage: 50,
    status: "",
    timer: null,
    inFlight: false,
    last: {},
    requestsAvailable: null, // null: not probed yet
    resetArmed: null,
  };

  // -- the token --------------------------------------------------------------------------

  function takeTokenFromUrl() {
    const url = new URL(window.location.href);
    if (!url.searchParams.has("token")) return;
    sessionStorage.setItem(TOKEN_KEY, url.searchParams.get("token"));
    url.searchParams.delete("token");
    // Out of the address bar and the history entry: a shared screen or link shows no token.
    window.history.replaceState(null, "", url.pathname + url.search + url.hash);
  }

  function headers(json) {
    const result = {};
    if (json) result["Content-Type"] = "application/json";
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) result["X-Mock-Token"] = token;
    return result;
  }

  // -- talking to the mock ----------------------------------------------------------------

  async function getJson(url) {
    const response = await fetch(url, {
      headers: headers(false),
      cache: "no-store",
      credentials: "same-origin",
    });
    let body = null;
    try {
      body = await response.json();
    } catch (_) {
      body = null;
    }
    return { status: response.status, body: body };
  }

  // POSTs always carry a JSON body and Content-Type, as the control plane's CSRF rules want.
  async function call(method, path, body, done) {
    try {
      const response = await fetch(path, {
        method: method,
        headers: headers(true),
        body: JSON.stringify(body === undefined ? {} : body),
        credentials: "same-origin",
      });
      let payload = null;
      try {
        payload = await response.json();
      } catch (_) {
        payload = null;
      }
      if (!response.ok) {
        const message = payload && payload.message ? payload.message : "HTTP " + response.status;
        say(method + " " + path + ": " + message, true);
      } else {
        say(done || method + " " + path + ": done", false);
      }
    } catch (error) {
      say(method + " " + path + ": " + error, true);
    }
    refreshSoon();
  }

  function say(text, isError) {
    const node = document.getElementById("message");
    node.textContent = text;
    node.className = isError ? "error" : "";
  }

  // -- DOM helpers (text only) ------------------------------------------------------------

  function el(tag, options) {
    const node = document.createElement(tag);
    const opts = options || {};
    if (opts.cls) node.className = opts.cls;
    if (opts.text !== undefined && opts.text !== null) node.textContent = String(opts.text);
    if (opts.title) node.title = String(opts.title);
    if (opts.data) {
      for (const name of Object.keys(opts.data)) node.dataset[name] = String(opts.data[name]);
    }
    for (const child of opts.children || []) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  function td(text, cls, title) {
    return el("td", { text: text, cls: cls, title: title });
  }

  function button(label, onClick, extra) {
    const node = el("button", { text: label, cls: extra && extra.cls, data: extra && extra.data });
    node.type = "button";
    node.addEventListener("click", onClick);
    return node;
  }

  function emptyRow(body, columns, text) {
    const cell = el("td", { text: text, cls: "empty" });
    cell.colSpan = columns;
    body.append(el("tr", { children: [cell] }));
  }

  function clockText(millis) {
    if (millis === null || millis === undefined) return "";
    const iso = new Date(millis).toISOString();
    return iso.slice(0, 10) + " " + iso.slice(11, 23) + " UTC";
  }

  function timeOfDay(millis) {
    if (millis === null || millis === undefined) return "";
    return new Date(millis).toISOString().slice(11, 19);
  }

  function seconds(ms) {
    return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + " s";
  }

  // Only our own same-origin image routes ever become an <img src>.
  function safeImage(path) {
    return typeof path === "string" && path.startsWith("/__mock/ui/images/");
  }

  const STATE_NAMES = { 0: "in progress", 1: "completed", 2: "failed" };

  // -- rendering --------------------------------------------------------------------------

  function changed(name, value) {
    const text = JSON.stringify(value);
    if (state.last[name] === text) return false;
    state.last[name] = text;
    return true;
  }

  function renderHeader(data) {
    document.getElementById("version").textContent = data.version;
    const clock = data.clock;
    document.getElementById("clock-now").textContent = clockText(clock.nowMillis);
    document.getElementById("clock-kind").textContent = clock.manual
      ? "manual"
      : "real, time scale " + clock.timeScale;
    for (const node of document.querySelectorAll("#clock-controls button, #clock-controls input")) {
      node.disabled = !clock.manual;
      node.title = clock.manual ? "" : "the clock is real: start the mock with --clock manual";
    }
    const counts = data.counts;
    document.getElementById("task-counts").textContent =
      counts.inProgress + " in progress, " + counts.completed + " completed, " +
      counts.failed + " failed";
    document.getElementById("updated").textContent =
      "page updated " + new Date().toLocaleTimeString();
  }

  function renderKeys(keys) {
    const body = document.getElementById("keys-body");
    body.replaceChildren();
    if (!keys.length) emptyRow(body, 6, "no accounts");
    for (const account of keys) {
      const top = button("+100", () =>
        call("POST", "/__mock/keys", { key: account.key, quota: account.quota + 100 },
          "quota of " + account.key + " set to " + (account.quota + 100)),
        { data: { action: "top-up" } });
      body.append(el("tr", {
        data: { key: account.key },
        children: [
          td(account.key, "mono"), td(account.quota, "num"), td(account.charged, "num"),
          td(account.refunded, "num"), td(account.inProgress, "num"),
          el("td", { children: [top] }),
        ],
      }));
    }
  }

  function renderFaults(faults) {
    const body = document.getElementById("faults-body");
    body.replaceChildren();
    if (!faults.length) emptyRow(body, 5, "no faults installed");
    for (const fault of faults) {
      let kind = fault.kind;
      if (fault.status !== undefined) kind += " " + fault.status;
      if (fault.latency !== undefined) kind += " " + fault.latency + " s";
      const left = fault.probability !== null && fault.probability !== undefined
        ? "p=" + fault.probability
        : String(fault.remaining);
      body.append(el("tr", {
        data: { faultId: fault.id },
        children: [td(fault.id, "mono"), td(kind), td(fault.endpoint), td(left),
          td(fault.hits, "num")],
      }));
    }
  }

  function timing(task, nowMillis) {
    if (task.finishedAt !== null) {
      return "finished after " + seconds(task.finishedAt - task.createdAt);
    }
    const due = task.dueAt - nowMillis;
    return due > 0 ? "due in " + seconds(due) : "due now";
  }

  function thumbs(row) {
    const box = el("div", { cls: "thumbs" });
    row.images.forEach((path, index) => {
      if (!safeImage(path)) return;
      const img = el("img", { cls: "thumb", title: "image " + index });
      img.alt = "image " + index;
      img.loading = "lazy";
      img.src = path;
      box.append(img);
    });
    if (safeImage(row.grid)) {
      const grid = el("img", { cls: "thumb grid", title: "grid" });
      grid.alt = "grid";
      grid.src = row.grid;
      box.append(grid);
    }
    return box;
  }

  function renderTasks(tasks, nowMillis) {
    state.page = tasks.page;
    const body = document.getElementById("tasks-body");
    body.replaceChildren();
    if (!tasks.items.length) emptyRow(body, 9, "no tasks" + (tasks.status === null ? "" : " in this state"));
    for (const row of tasks.items) {
      const task = row.task;
      const actions = el("td");
      if (task.status === 0) {
        const id = encodeURIComponent(task.taskId);
        actions.append(
          button("Complete", () => call("POST", "/__mock/tasks/" + id + "/complete", {},
            "completed " + task.taskId), { data: { action: "complete" } }),
          " ",
          button("Fail", () => {
            const reason = document.getElementById("fail-reason").value.trim();
            call("POST", "/__mock/tasks/" + id + "/fail", reason ? { reason: reason } : {},
              "failed " + task.taskId);
          }, { data: { action: "fail" } }),
        );
      }
      const stateCell = el("td", {
        children: [el("span", {
          cls: "state state-" + task.status,
          text: STATE_NAMES[task.status],
          data: { testid: "state" },
        })],
      });
      const idCell = el("td", {
        cls: "mono",
        children: [el("div", { text: task.taskId }),
          el("div", { cls: "muted", text: task.apiKey, title: "API key" })],
      });
      const imagesCell = el("td", { children: [thumbs(row)] });
      body.append(el("tr", {
        cls: "task",
        data: { taskId: task.taskId, status: task.status },
        children: [
          td(timeOfDay(task.createdAt), "mono", clockText(task.createdAt)),
          idCell,
          stateCell,
          td(task.mode),
          td(task.prompt, "prompt", task.mjPrompt),
          td(timing(task, nowMillis), "muted"),
          td(task.failReason || "", "reason"),
          imagesCell,
          actions,
        ],
      }));
    }
    document.getElementById("page-info").textContent =
      "page " + tasks.page + " of " + tasks.pages + " (" + tasks.total + " tasks)";
    document.getElementById("prev-page").disabled = tasks.page <= 1;
    document.getElementById("next-page").disabled = tasks.page >= tasks.pages;
  }

  function renderHooks(hooks) {
    const body = document.getElementById("hooks-body");
    body.replaceChildren();
    document.getElementById("hook-counts").textContent =
      hooks.total > hooks.items.length
        ? "newest " + hooks.items.length + " of " + hooks.total
        : hooks.total + " attempts";
    if (!hooks.items.length) emptyRow(body, 9, "no hook attempts");
    for (const attempt of hooks.items) {
      let answer = "";
      if (attempt.responseStatus !== null) answer = "HTTP " + attempt.responseStatus;
      if (attempt.error) answer += (answer ? ", " : "") + attempt.error;
      if (attempt.durationMs !== null) answer += " (" + Math.round(attempt.durationMs) + " ms)";
      const redeliver = button("Redeliver", () =>
        call("POST", "/__mock/hooks/" + encodeURIComponent(attempt.id) + "/redeliver", {},
          "redelivered " + attempt.id), { data: { action: "redeliver" } });
      body.append(el("tr", {
        cls: "hook",
        data: { hookId: attempt.id, outcome: attempt.outcome },
        children: [
          td(attempt.id, "mono"), td(attempt.taskId, "mono"),
          // A hook URL is user input: shown as text, never made a link.
          td(attempt.url, "url mono"), td(attempt.attempt, "num"),
          td(attempt.outcome, "outcome-" + attempt.outcome), td(answer),
          td(timeOfDay(attempt.scheduledAt), "mono"), td(timeOfDay(attempt.sentAt), "mono"),
          el("td", { children: [redeliver] }),
        ],
      }));
    }
  }

  // The request journal belongs to another part of the mock; its shape is read generically:
  // the first list in the answer, one column per field of its first entries.
  function renderRequests(body) {
    const pane = document.getElementById("requests-pane");
    let entries = Array.isArray(body) ? body : null;
    if (!entries && body && typeof body === "object") {
      entries = Object.values(body).find((value) => Array.isArray(value)) || [];
    }
    entries = entries || [];
    const shown = entries.slice(-REQUESTS_SHOWN).reverse();
    document.getElementById("requests-state").textContent =
      entries.length > shown.length
        ? "newest " + shown.length + " of " + entries.length
        : entries.length + " requests";
    const columns = [];
    for (const entry of shown.slice(0, 10)) {
      if (entry && typeof entry === "object") {
        for (const key of Object.keys(entry)) {
          if (!columns.includes(key) && columns.length < 9) columns.push(key);
        }
      }
    }
    const table = el("table");
    const head = el("tr", { children: columns.map((name) => el("th", { text: name })) });
    table.append(el("thead", { children: [head] }));
    const rows = el("tbody");
    if (!shown.length) emptyRow(rows, Math.max(1, columns.length), "no requests journaled");
    for (const entry of shown) {
      const cells = columns.map((name) => {
        const value = entry && typeof entry === "object" ? entry[name] : entry;
        let text = value === null || value === undefined ? "" : value;
        if (typeof text === "object") text = JSON.stringify(text);
        text = String(text);
        return td(text.length > 200 ? text.slice(0, 197) + "..." : text, "mono");
      });
      rows.append(el("tr", { children: cells }));
    }
    table.append(rows);
    pane.replaceChildren(table);
  }

  async function refreshRequests() {
    const details = document.getElementById("requests-details");
    if (state.requestsAvailable === false) return;
    if (state.requestsAvailable === true && !details.open) return;
    const answer = await getJson(REQUESTS_URL);
    if (answer.status === 200) {
      state.requestsAvailable = true;
      if (details.open) renderRequests(answer.body);
      else document.getElementById("requests-state").textContent = "(open to show)";
    } else if (answer.status === 404 || answer.status === 405) {
      state.requestsAvailable = false;
      document.getElementById("requests-state").textContent = "not available in this build";
      document.getElementById("requests-pane").replaceChildren(
        el("p", { cls: "empty", text: "not available in this build" }));
    }
  }

  // -- polling ----------------------------------------------------------------------------

  function dataUrl() {
    const params = new URLSearchParams({ page: state.page, per_page: state.perPage });
    if (state.status !== "") params.set("status", state.status);
    return DATA_URL + "?" + params.toString();
  }

  async function refresh() {
    if (state.inFlight) return;
    state.inFlight = true;
    try {
      const answer = await getJson(dataUrl());
      const tokenForm = document.getElementById("token-form");
      if (answer.status === 401) {
        tokenForm.hidden = false;
        say("this mock needs its control token", true);
        return;
      }
      tokenForm.hidden = true;
      if (answer.status !== 200 || !answer.body) {
        const message = answer.body && answer.body.message ? answer.body.message : "";
        say("dashboard data: HTTP " + answer.status + " " + message, true);
        return;
      }
      const data = answer.body;
      renderHeader(data);
      if (changed("keys", data.keys)) renderKeys(data.keys);
      if (changed("faults", data.faults)) renderFaults(data.faults);
      // Timings count down against the clock, so a moving clock re-renders the tasks.
      if (changed("tasks", [data.tasks, data.clock.nowMillis])) {
        renderTasks(data.tasks, data.clock.nowMillis);
      }
      if (changed("hooks", data.hooks)) renderHooks(data.hooks);
      await refreshRequests();
    } catch (error) {
      say("cannot reach the mock: " + error, true);
    } finally {
      state.inFlight = false;
      schedule(POLL_MS);
    }
  }

  function schedule(delay) {
    window.clearTimeout(state.timer);
    if (document.hidden) return; // resumes on visibilitychange
    state.timer = window.setTimeout(refresh, delay);
  }

  function refreshSoon() {
    if (state.inFlight) {
      // The running refresh reschedules itself; make that next one come at once.
      window.setTimeout(refreshSoon, 50);
      return;
    }
    schedule(0);
  }

  // -- wiring -----------------------------------------------------------------------------

  function advance(value) {
    const secondsToAdvance = Number(value);
    if (!(secondsToAdvance >= 0)) {
      say("seconds must be a number >= 0", true);
      return;
    }
    call("POST", "/__mock/clock/advance", { seconds: secondsToAdvance },
      "clock advanced " + secondsToAdvance + " s");
  }

  function wire() {
    for (const node of document.querySelectorAll("[data-advance]")) {
      node.addEventListener("click", () => advance(node.dataset.advance));
    }
    document.getElementById("advance").addEventListener("click", () =>
      advance(document.getElementById("advance-seconds").value));

    const reset = document.getElementById("reset");
    reset.addEventListener("click", () => {
      // Two clicks, no confirm() dialog: a dialog would block the page and browser tests.
      if (state.resetArmed === null) {
        reset.textContent = "Really reset?";
        state.resetArmed = window.setTimeout(() => {
          reset.textContent = "Reset";
          state.resetArmed = null;
        }, 3000);
        return;
      }
      window.clearTimeout(state.resetArmed);
      state.resetArmed = null;
      reset.textContent = "Reset";
      state.page = 1;
      call("POST", "/__mock/reset", {}, "reset: tasks, hooks and faults forgotten");
    });

    document.getElementById("key-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const key = document.getElementById("key-name").value;
      const quota = Number(document.getElementById("key-quota").value);
      call("POST", "/__mock/keys", { key: key, quota: quota }, "quota of " + key + " set to " + quota);
    });

    const kind = document.getElementById("fault-kind");
    const showFaultFields = () => {
      document.getElementById("fault-status").hidden = kind.value !== "status";
      document.getElementById("fault-latency").hidden = kind.value !== "latency";
    };
    kind.addEventListener("change", showFaultFields);
    showFaultFields();
    document.getElementById("fault-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const spec = {
        kind: kind.value,
        endpoint: document.getElementById("fault-endpoint").value,
        count: Number(document.getElementById("fault-count").value),
      };
      if (kind.value === "status") spec.status = Number(document.getElementById("fault-status").value);
      if (kind.value === "latency") spec.latency = Number(document.getElementById("fault-latency").value);
      call("POST", "/__mock/faults", spec, "fault added");
    });
    document.getElementById("clear-faults").addEventListener("click", () =>
      call("DELETE", "/__mock/faults", {}, "faults cleared"));

    document.getElementById("task-filter").addEventListener("change", (event) => {
      state.status = event.target.value;
      state.page = 1;
      refreshSoon();
    });
    document.getElementById("per-page").addEventListener("change", (event) => {
      state.perPage = Number(event.target.value);
      state.page = 1;
      refreshSoon();
    });
    document.getElementById("prev-page").addEventListener("click", () => {
      state.page = Math.max(1, state.page - 1);
      refreshSoon();
    });
    document.getElementById("next-page").addEventListener("click", () => {
      state.page += 1;
      refreshSoon();
    });
    document.getElementById("requests-details").addEventListener("toggle", refreshSoon);

    document.getElementById("token-form").addEventListener("submit", (event) => {
      event.preventDefault();
      sessionStorage.setItem(TOKEN_KEY, document.getElementById("token-input").value);
      document.getElementById("token-input").value = "";
      say("token saved for this tab", false);
      refreshSoon();
    });

    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) refreshSoon();
    });
  }

  takeTokenFromUrl();
  wire();
  refresh();
})();
