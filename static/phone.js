// On a phone: the menu folds behind a button, and each table row reads as a card labelled by its column headers.
// Without JavaScript the menu stays open and tables scroll sideways; nothing is lost.
document.documentElement.classList.add("js");
document.addEventListener("DOMContentLoaded", function () {
  var button = document.querySelector(".menu-toggle");
  var header = document.querySelector(".topbar");
  if (button && header) {
    button.addEventListener("click", function () {
      var open = header.classList.toggle("menu-open");
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
  document.querySelectorAll(".table-wrap table").forEach(function (table) {
    var labels = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent.trim();
    });
    table.querySelectorAll("tbody tr").forEach(function (row) {
      Array.prototype.forEach.call(row.children, function (cell, i) {
        if (labels[i] && !cell.hasAttribute("data-label")) cell.setAttribute("data-label", labels[i]);
      });
    });
    table.classList.add("cards");
  });
});
