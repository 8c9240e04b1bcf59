// Drag-and-drop uploads with a progress bar per file. Each file is streamed as the request
// body to the raw upload endpoint; without JavaScript the same form posts as multipart.
(function () {
  var form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest) return;
  var zone = document.getElementById("dropzone");
  var input = document.getElementById("files");
  var list = document.getElementById("upload-list");
  var token = form.querySelector("input[name=csrf_token]").value;

  ["dragenter", "dragover"].forEach(function (type) {
    zone.addEventListener(type, function (e) { e.preventDefault(); zone.classList.add("is-over"); });
  });
  ["dragleave", "drop"].forEach(function (type) {
    zone.addEventListener(type, function (e) { e.preventDefault(); zone.classList.remove("is-over"); });
  });
  zone.addEventListener("drop", function (e) { input.files = e.dataTransfer.files; });

  function query() {
    var params = new URLSearchParams();
    ["description", "collected_on", "valid_until", "controls", "drill_id", "finding_id", "action_id"].forEach(function (name) {
      var field = form.elements[name];
      if (field && field.value) params.set(name, field.value);
    });
    return params.toString();
  }

  function send(file) {
    return new Promise(function (resolve) {
      var item = document.createElement("li");
      var label = document.createElement("span");
      label.textContent = file.name + " ";
      var bar = document.createElement("progress");
      bar.max = file.size || 1; bar.value = 0;
      bar.setAttribute("aria-label", "Upload of " + file.name);
      var status = document.createElement("span");
      status.className = "muted small";
      item.append(label, bar, status);
      list.appendChild(item);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.dataset.rawUrl + "?" + query());
      xhr.setRequestHeader("X-CSRFToken", token);
      xhr.setRequestHeader("X-Filename", encodeURIComponent(file.name));
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = function (e) { if (e.lengthComputable) bar.value = e.loaded; };
      xhr.onload = function () {
        var ok = xhr.status === 201, body = {};
        try { body = JSON.parse(xhr.responseText); } catch (err) { body = {}; }
        status.textContent = ok ? " stored" : " " + (body.detail || ("refused (" + xhr.status + ")"));
        item.className = ok ? "ok" : "failed";
        resolve(ok);
      };
      xhr.onerror = function () { status.textContent = " connection lost; nothing was stored"; item.className = "failed"; resolve(false); };
      xhr.send(file);
    });
  }

  form.addEventListener("submit", function (e) {
    if (!input.files.length) return;
    e.preventDefault();
    list.innerHTML = "";
    var files = Array.prototype.slice.call(input.files);
    files.reduce(function (chain, file) {
      return chain.then(function (results) { return send(file).then(function (ok) { return results.concat(ok); }); });
    }, Promise.resolve([])).then(function (results) {
      if (results.every(Boolean)) window.location = form.dataset.doneUrl;
    });
  });
})();
