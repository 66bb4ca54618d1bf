// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // "/" focuses the search box (unless the reader is typing somewhere already).
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    var box = document.getElementById("q");
    if (box) {
      event.preventDefault();
      box.focus();
      box.select();
    }
  });

  // Reading view: "n" jumps to the next highlighted query term.
  var marks = document.querySelectorAll("article.report mark");
  var current = -1;
  document.addEventListener("keydown", function (event) {
    if (event.key !== "n" || !marks.length || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
    if (current >= 0) marks[current].classList.remove("active");
    current = (current + 1) % marks.length;
    marks[current].classList.add("active");
    marks[current].scrollIntoView({ block: "center" });
  });
})();
