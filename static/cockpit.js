// Keeps the cockpit's elapsed-time clock ticking between page loads; the server's stamps stay the truth.
(function () {
  var el = document.getElementById("elapsed");
  if (!el || !el.dataset.since) return;
  var since = Date.parse(el.dataset.since);
  function pad(n) { return n < 10 ? "0" + n : "" + n; }
  function tick() {
    var s = Math.max(0, Math.floor((Date.now() - since) / 1000));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    el.textContent = (h ? h + " h " + pad(m) + " min" : m + " min") + " " + pad(s % 60) + " s";
  }
  tick();
  setInterval(tick, 1000);
})();
