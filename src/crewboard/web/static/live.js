// crewboard dashboard: live updates without reload, and small conveniences.
// Opens the project's SSE stream (cookie auth); on any event, re-fetches the current page
// and swaps every element marked data-live (by id) for its fresh copy. A region holding
// the focused form field, or a field the user has changed, is left as it is (and refreshed
// later), so nothing typed or chosen is ever thrown away.
(function () {
  "use strict";
  var KINDS = ["task.created", "task.updated", "task.claimed", "task.lease_expired",
    "task.lease_renewed", "task.dependencies_added", "task.dependency_removed",
    "task.dependents_added", "task.dependent_removed",
    "message.sent", "message.read", "message.acked", "changelog.appended",
    "team.created", "team.updated", "team.deleted", "team.member_added",
    "team.member_removed", "agent.added", "agent.updated", "agent.removed"];
  var timer = null;
  var deferred = false;

  // A field the user has changed from what the page was rendered with (a chosen option, a
  // ticked box, typed text), whether or not it still has the focus.
  function edited(field) {
    if (field.tagName === "SELECT") {
      if (field.multiple) {
        return Array.prototype.some.call(field.options, function (o) { return o.selected !== o.defaultSelected; });
      }
      // Without a `selected` attribute, a single select starts on its first option.
      var initial = 0;
      Array.prototype.forEach.call(field.options, function (o, i) { if (o.defaultSelected) { initial = i; } });
      return field.options.length > 0 && field.selectedIndex !== initial;
    }
    if (field.type === "checkbox" || field.type === "radio") { return field.checked !== field.defaultChecked; }
    if (field.type === "hidden") { return false; }
    return field.value !== field.defaultValue;
  }

  function busy(region) {
    var active = document.activeElement;
    if (active && active !== document.body && region.contains(active) &&
      /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName)) { return true; }
    return Array.prototype.some.call(region.querySelectorAll("input, textarea, select"), edited);
  }

  function refresh() {
    timer = null;
    fetch(window.location.href, { credentials: "same-origin", headers: { "X-Live": "1" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live]").forEach(function (region) {
          var next = fresh.getElementById(region.id);
          if (!next) { return; }
          if (busy(region)) { deferred = true; return; }
          region.replaceWith(document.importNode(next, true));
        });
        document.body.dataset.liveVersion = String(Number(document.body.dataset.liveVersion || 0) + 1);
      })
      .catch(function (error) { console.warn("crewboard: refresh failed", error); });
  }

  function schedule() {
    if (timer === null) { timer = window.setTimeout(refresh, 150); }
  }

  function connect(slug) {
    var status = document.getElementById("live-status");
    var source = new EventSource("/api/v1/projects/" + encodeURIComponent(slug) + "/events");
    // On each (re)connect, refresh once: what changed between the page's rendering and the
    // stream's start would otherwise only show with the next event.
    source.onopen = function () {
      if (status) { status.textContent = "live"; status.className = "live on"; }
      schedule();
    };
    source.onerror = function () { if (status) { status.textContent = "reconnecting"; status.className = "live"; } };
    KINDS.forEach(function (kind) { source.addEventListener(kind, schedule); });
  }

  document.addEventListener("focusout", function () {
    if (deferred) { deferred = false; window.setTimeout(schedule, 50); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-autosubmit], #project-switch").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    var slug = document.body.dataset.project;
    if (slug && window.EventSource) { connect(slug); }
  });
})();

// The task page's status menu: only the fields of the chosen move are shown and sent
// (a disabled fieldset is neither validated nor posted); without script all of them show.
(function () {
  "use strict";
  function sync(form) {
    var chosen = form.querySelector("input[name=to]:checked");
    form.querySelectorAll("fieldset[data-for]").forEach(function (set) {
      var on = chosen !== null && set.dataset.for === chosen.value;
      set.hidden = !on;
      set.disabled = !on;
      set.querySelectorAll("#block-reason, #complete-outcome").forEach(function (field) {
        field.required = on;
      });
    });
  }
  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("#status-form");
    if (form) { sync(form); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("status-form");
    if (form) { sync(form); }
  });
  // After a live refresh swaps the task view, the new form starts in the same state.
  new MutationObserver(function () {
    var form = document.getElementById("status-form");
    if (form && !form.dataset.synced) { form.dataset.synced = "1"; sync(form); }
  }).observe(document.documentElement, { childList: true, subtree: true });
})();
