// Progressive enhancement only: every page works without this file.
// - changing a filter control re-runs the search (without JS the "Apply" button does it);
// - "/" focuses the search box;
// - clicking a piece of evidence scrolls to it and makes it flash.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el && el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) {
      // The hidden cases=0 keeps "unticked" meaningful; the checkbox value wins when ticked.
      if (typeof el.form.requestSubmit === "function") el.form.requestSubmit(); else el.form.submit();
    }
  });

  document.addEventListener("keydown", function (e) {
    if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target && e.target.tagName;
    if (t === "INPUT" || t === "TEXTAREA" || t === "SELECT") return;
    var box = document.getElementById("q") || document.querySelector(".mini-search input");
    if (box) { e.preventDefault(); box.focus(); box.select(); }
  });

  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("a.evref[data-anchor]");
    if (!link) return;
    var mark = document.getElementById(link.getAttribute("data-anchor"));
    if (!mark) return;
    var details = mark.closest("details");
    if (details) details.open = true;
    e.preventDefault();
    history.replaceState(null, "", "#" + mark.id);
    mark.scrollIntoView({ behavior: "smooth", block: "center" });
    document.querySelectorAll("mark.ev.flash").forEach(function (m) { m.classList.remove("flash"); });
    mark.classList.add("flash");
  });

  // Drop empty fields from the search form so permalinks stay short and canonical.
  var form = document.getElementById("search-form");
  if (form) {
    form.addEventListener("submit", function () {
      Array.prototype.forEach.call(form.elements, function (el) {
        if (el.name && el.type !== "hidden" && el.type !== "checkbox" && el.value === "") el.disabled = true;
        if (el.name === "sort" && el.value === "") el.disabled = true;
      });
      // Cases-only is the default: when ticked, send nothing (not "cases=0&cases=1").
      var box = form.querySelector("input[type=checkbox][name=cases]");
      if (box && box.checked) {
        form.querySelectorAll("input[name=cases]").forEach(function (el) { el.disabled = true; });
      }
      setTimeout(function () {
        Array.prototype.forEach.call(form.elements, function (el) { el.disabled = false; });
      }, 0);
    });
  }
})();
