// Gatehouse dashboard: the only script. Every flow works without it; it adds copy buttons and
// makes the Actions menus float above the page (fully visible, one at a time, keyboard-driven).
document.documentElement.classList.add("js");

document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  if (!button) return;
  var field = document.getElementById(button.getAttribute("data-copy"));
  if (!field) return;
  field.select();
  var done = function () { button.textContent = "Copied"; };
  if (navigator.clipboard) {
    navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
  } else {
    document.execCommand("copy");
    done();
  }
});
// Without this script the buttons stay hidden: the field can still be selected and copied.
document.querySelectorAll("[data-copy]").forEach(function (b) { b.hidden = false; });

// Actions menus: <details class="menu"><summary>…</summary><ul class="menu-list">links</ul>.
// Without the script the list opens in the page's flow (the row grows; nothing is clipped).
// With it, the list is fixed to the viewport next to its button: below it, or above when
// there is more room there, never wider or taller than the screen.
(function () {
  var GAP = 6, EDGE = 8;

  function openMenus() { return document.querySelectorAll("details.menu[open]"); }
  function items(menu) { return Array.prototype.slice.call(menu.querySelectorAll(".menu-list a, .menu-list button")); }

  function place(menu) {
    var list = menu.querySelector(".menu-list");
    var button = menu.querySelector("summary");
    if (!list || !button) return;
    var r = button.getBoundingClientRect();
    var vw = document.documentElement.clientWidth, vh = window.innerHeight;
    list.style.maxHeight = "";
    list.style.top = "0px";
    list.style.left = "0px";
    var h = list.offsetHeight, w = Math.min(list.offsetWidth, vw - 2 * EDGE);
    var below = vh - r.bottom - GAP - EDGE, above = r.top - GAP - EDGE;
    var top;
    if (h <= below || below >= above) {
      top = r.bottom + GAP;
      if (h > below) list.style.maxHeight = Math.max(below, 80) + "px";
    } else {
      var room = Math.min(h, above);
      if (h > above) list.style.maxHeight = above + "px";
      top = r.top - GAP - room;
    }
    var left = Math.max(EDGE, Math.min(r.right - w, vw - w - EDGE));
    list.style.top = top + "px";
    list.style.left = left + "px";
    list.style.maxWidth = (vw - 2 * EDGE) + "px";
  }

  function close(menu, focusButton) {
    if (!menu.open) return;
    menu.open = false;
    if (focusButton) menu.querySelector("summary").focus();
  }

  function closeOthers(keep) {
    openMenus().forEach(function (m) { if (m !== keep) close(m, false); });
  }

  // Placed as soon as it opens (a mutation observer runs before anything else can look,
  // unlike the `toggle` event, which comes a task later).
  new MutationObserver(function (changes) {
    changes.forEach(function (change) {
      var menu = change.target;
      if (!menu.matches("details.menu") || !menu.open) return;
      closeOthers(menu);
      place(menu);
    });
  }).observe(document.documentElement, { attributes: true, attributeFilter: ["open"], subtree: true });

  document.addEventListener("click", function (event) {
    var menu = event.target.closest("details.menu");
    openMenus().forEach(function (m) {
      // Outside: close. A choice inside: close too (the link then does its work).
      if (m !== menu || event.target.closest(".menu-list a, .menu-list button")) close(m, false);
    });
  });

  document.addEventListener("keydown", function (event) {
    var menu = event.target.closest && event.target.closest("details.menu");
    if (!menu) return;
    var list = items(menu);
    var at = list.indexOf(event.target);
    var onButton = event.target.tagName === "SUMMARY";
    var go = function (i) {
      event.preventDefault();
      if (!menu.open) { menu.open = true; place(menu); }
      list[(i + list.length) % list.length].focus();
    };
    switch (event.key) {
      case "Escape":
        if (menu.open) { event.preventDefault(); close(menu, true); }
        break;
      case "ArrowDown":
        if (list.length) go(onButton ? 0 : at + 1);
        break;
      case "ArrowUp":
        if (list.length) go(onButton ? list.length - 1 : at - 1);
        break;
      case "Home":
        if (!onButton && list.length) go(0);
        break;
      case "End":
        if (!onButton && list.length) go(list.length - 1);
        break;
    }
  });

  // Tabbing out of an open menu closes it.
  document.addEventListener("focusout", function (event) {
    var menu = event.target.closest && event.target.closest("details.menu[open]");
    if (menu && event.relatedTarget && !menu.contains(event.relatedTarget)) close(menu, false);
  });

  var replace = function () { openMenus().forEach(place); };
  window.addEventListener("resize", replace);
  // Any scroll (the page's or a table's) moves the button: the list follows it.
  document.addEventListener("scroll", replace, true);
})();

// The group editor's shortcuts: whole columns (all, none, Sandbox same as Live) and whole
// areas. Ticking skips rights the signed-in user does not hold (the server would refuse
// them anyway); unticking takes everything. Without the script the buttons stay hidden.
(function () {
  var matrix = document.getElementById("permission-matrix");
  if (!matrix) return;
  matrix.querySelectorAll("[data-matrix], tr.shortcuts").forEach(function (el) { el.hidden = false; });
  var boxes = function (env, within) {
    return Array.prototype.slice.call((within || matrix).querySelectorAll("input[type=checkbox][name=" + env + "]"));
  };
  var tick = function (box, on) { if (!on || !box.hasAttribute("data-not-held")) box.checked = on; };
  matrix.addEventListener("click", function (event) {
    var button = event.target.closest("[data-matrix]");
    if (!button) return;
    var env = button.getAttribute("data-env"), what = button.getAttribute("data-matrix");
    if (what === "all" || what === "none") {
      boxes(env).forEach(function (b) { tick(b, what === "all"); });
    } else if (what === "same") {
      boxes("sandbox").forEach(function (b) {
        var live = matrix.querySelector("input[name=live][value='" + b.value + "']");
        tick(b, !!(live && live.checked));
      });
    } else if (what === "area") {
      var rows = [], row = button.closest("tr").nextElementSibling;
      while (row && !row.classList.contains("area")) { rows.push(row); row = row.nextElementSibling; }
      var inArea = [];
      rows.forEach(function (r) { inArea = inArea.concat(boxes(env, r)); });
      var allOn = inArea.every(function (b) { return b.checked || b.hasAttribute("data-not-held"); });
      inArea.forEach(function (b) { tick(b, !allOn); });
    }
  });
})();

// Many tenants in the group editor: a search that narrows the list, ticking all shown,
// and a count of what is ticked.
(function () {
  var tools = document.querySelector(".tenant-tools");
  var list = document.getElementById("tenant-list");
  if (!tools || !list) return;
  tools.hidden = false;
  var search = document.getElementById("tenant-search"), count = document.getElementById("tenant-count");
  var choices = Array.prototype.slice.call(list.querySelectorAll(".choice"));
  var update = function () {
    var q = search.value.trim().toLowerCase(), shown = 0, ticked = 0;
    choices.forEach(function (c) {
      var hit = !q || c.textContent.toLowerCase().indexOf(q) !== -1;
      c.hidden = !hit;
      if (hit) shown++;
      if (c.querySelector("input").checked) ticked++;
    });
    count.textContent = ticked + " of " + choices.length + " tenants ticked" + (q ? "; " + shown + " shown" : "");
  };
  search.addEventListener("input", update);
  list.addEventListener("change", update);
  tools.addEventListener("click", function (event) {
    var b = event.target.closest("[data-tenants]");
    if (!b) return;
    var all = b.getAttribute("data-tenants") === "shown";
    choices.forEach(function (c) { if (all ? !c.hidden : true) c.querySelector("input").checked = all; });
    update();
  });
  update();
})();

// The Users list: one box ticks every user of the page.
(function () {
  var all = document.getElementById("select-all");
  if (!all) return;
  all.hidden = false;
  var boxes = function () { return document.querySelectorAll("#users input[name=user]"); };
  all.addEventListener("change", function () { boxes().forEach(function (b) { b.checked = all.checked; }); });
})();

// Import: a picked file fills the contents box (without the script, paste the file there).
document.querySelectorAll("input[type=file][data-fills]").forEach(function (input) {
  var target = document.getElementById(input.getAttribute("data-fills"));
  if (!target) return;
  var row = input.closest("[data-fill-row]");
  if (row) row.hidden = false;
  input.addEventListener("change", function () {
    var file = input.files && input.files[0];
    if (!file) return;
    var reader = new FileReader();
    reader.onload = function () { target.value = reader.result; };
    reader.readAsText(file);
    var format = document.getElementById("import-format");
    if (format && /\.(jsonl|ndjson)$/i.test(file.name)) format.value = "jsonl";
  });
});
