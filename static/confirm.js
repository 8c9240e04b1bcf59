// Asks before a form marked data-confirm does something that cannot be taken back (revoking a token, ending a drill).
// Without JavaScript the form still works; the question is a safeguard, not a rule.
document.addEventListener("submit", function (event) {
  var question = event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
});
