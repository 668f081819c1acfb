
(function () {
  "use strict";
  var boxes = Array.prototype.slice.call(document.querySelectorAll("#filters input[type=checkbox]"));
  var rows = Array.prototype.slice.call(document.querySelectorAll("#cases .case"));
  var sections = Array.prototype.slice.call(document.querySelectorAll("#cases section.group"));
  var shown = document.getElementById("shown");
  var search = document.getElementById("q");
  var groups = ["verdict", "severity", "suite"];
  // A severity tile's filter: only cases with a difference of that
  // severity (`#has=major`); shown, with a button to drop it, while set.
  var has = null;
  var hasButton = document.getElementById("has");
  // Lower-cased text of each case (id, URLs, messages), read once.
  var texts = rows.map(function (r) { return r.textContent.toLowerCase(); });
  // A case's own attribute, or its list's (the compact list of cases at
  // parity says their verdict and severity once).
  function attr(r, name) {
    var a = r.getAttribute(name);
    return a === null && r.parentNode ? r.parentNode.getAttribute(name) : a;
  }
  function selected(name) {
    var s = Object.create(null);
    boxes.forEach(function (b) { if (b.name === name && b.checked) { s[b.value] = true; } });
    return s;
  }
  function apply() {
    var v = selected("verdict"), s = selected("severity"), u = selected("suite"), n = 0;
    var q = search ? search.value.trim().toLowerCase() : "";
    rows.forEach(function (r, i) {
      var on = v[attr(r, "data-verdict")] === true &&
        s[attr(r, "data-severity")] === true &&
        u[attr(r, "data-suite")] === true &&
        (q === "" || texts[i].indexOf(q) >= 0) &&
        (has === null || (" " + (attr(r, "data-sevs") || "") + " ").indexOf(" " + has + " ") >= 0);
      r.hidden = !on;
      if (on) { n += 1; }
    });
    // A group (one case on several hosts, a matrix) with no case shown
    // hides its head too.
    sections.forEach(function (g) { g.hidden = g.querySelector(".case:not([hidden])") === null; });
    if (shown) { shown.textContent = n + " of " + rows.length + " cases shown"; }
    if (hasButton) {
      hasButton.hidden = has === null;
      hasButton.textContent = has === null ? "" : "with a " + has + " difference \u00d7";
    }
  }
  function fromHash() {
    var h = window.location.hash.replace(/^#/, "");
    var want = Object.create(null);
    h.split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      if (i < 0) { return; }
      try {
        want[decodeURIComponent(kv.slice(0, i))] = kv.slice(i + 1).split(",").map(decodeURIComponent);
      } catch (e) { /* a malformed fragment selects nothing */ }
    });
    boxes.forEach(function (b) {
      var list = want[b.name];
      b.checked = list ? list.indexOf(b.value) >= 0 : true;
    });
    if (search) { search.value = want.q ? want.q.join(",") : ""; }
    has = want.has && want.has[0] !== "" ? want.has[0] : null;
    // A link to one case (`#c-...`): open it.
    if (h.indexOf("c-") === 0) {
      var target = document.getElementById(h);
      if (target && target.tagName === "DETAILS") { target.open = true; }
    }
  }
  function toHash() {
    var parts = [];
    groups.forEach(function (g) {
      var all = true, on = [];
      boxes.forEach(function (b) {
        if (b.name !== g) { return; }
        if (b.checked) { on.push(encodeURIComponent(b.value)); } else { all = false; }
      });
      if (!all) { parts.push(g + "=" + on.join(",")); }
    });
    if (search && search.value.trim() !== "") { parts.push("q=" + encodeURIComponent(search.value.trim())); }
    if (has !== null) { parts.push("has=" + encodeURIComponent(has)); }
    try {
      history.replaceState(null, "", parts.length ? "#" + parts.join("&") : window.location.pathname);
    } catch (e) { /* file: URLs may refuse; the filter still applies */ }
  }
  boxes.forEach(function (b) { b.addEventListener("change", function () { apply(); toHash(); }); });
  if (search) { search.addEventListener("input", function () { apply(); toHash(); }); }
  window.addEventListener("hashchange", function () { fromHash(); apply(); });
  if (hasButton) {
    hasButton.addEventListener("click", function () { has = null; apply(); toHash(); });
  }
  // The suite list: filtered by typing; All / None set the suites listed.
  var suiteQ = document.getElementById("suite-q");
  var suiteBoxes = boxes.filter(function (b) { return b.name === "suite"; });
  function listed() {
    return suiteBoxes.filter(function (b) { return !b.parentNode.hidden; });
  }
  if (suiteQ) {
    suiteQ.addEventListener("input", function () {
      var t = suiteQ.value.trim().toLowerCase();
      suiteBoxes.forEach(function (b) {
        b.parentNode.hidden = t !== "" && b.value.toLowerCase().indexOf(t) < 0;
      });
    });
  }
  [["suites-all", true], ["suites-none", false]].forEach(function (p) {
    var button = document.getElementById(p[0]);
    if (!button) { return; }
    button.addEventListener("click", function () {
      listed().forEach(function (b) { b.checked = p[1]; });
      apply();
      toHash();
    });
  });
  fromHash();
  apply();
  // Copy a curl repro: the clipboard where the browser allows it, else the
  // command is selected for the user to copy.
  Array.prototype.forEach.call(document.querySelectorAll("button.copy"), function (b) {
    b.addEventListener("click", function () {
      var pre = b.nextElementSibling;
      if (!pre) { return; }
      var text = pre.textContent;
      var select = function () {
        var r = document.createRange();
        r.selectNodeContents(pre);
        var sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(r);
        b.textContent = "Selected: press Ctrl+C";
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(function () { b.textContent = "Copied"; }, select);
      } else {
        select();
      }
    });
  });
  // Mark a page wider than its window (a layout bug on a phone), so it is
  // seen in a check rather than by scrolling sideways.
  var doc = document.documentElement;
  doc.setAttribute("data-overflow", doc.scrollWidth > window.innerWidth ? "yes" : "no");
  doc.setAttribute("data-width", String(window.innerWidth));
})();
