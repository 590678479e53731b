/* Portal enhancements: copy buttons, the model picker for snippets, and "Test connection" in place.
   Everything here is optional: without JavaScript the forms post and the pages still work. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function announce(text) {
    var status = document.getElementById("copy-status");
    if (!status) return;
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  function selectTarget(target) {
    if (target.select) { target.focus(); target.select(); return; }
    var range = document.createRange();
    range.selectNodeContents(target);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function fallbackCopy(target, button) {
    selectTarget(target);
    var copied = false;
    try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
    done(button, copied ? "Copied to the clipboard." : "Selected: press Ctrl+C (\u2318C on a Mac) to copy.");
  }

  function done(button, text) {
    announce(text);
    var label = button.getAttribute("data-label") || button.textContent;
    button.setAttribute("data-label", label);
    button.textContent = text.indexOf("Copied") === 0 ? "Copied" : "Selected";
    window.setTimeout(function () { button.textContent = label; }, 2000);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var target = document.getElementById(button.getAttribute("data-copy"));
    if (!target) return;
    var text = target.value !== undefined ? target.value : target.textContent;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(button, "Copied to the clipboard."); },
                                               function () { fallbackCopy(target, button); });
    } else {
      fallbackCopy(target, button);
    }
  });

  // Times marked data-local are shown in the reader's own time zone; the UTC text stays as the tooltip.
  document.querySelectorAll("time[data-local]").forEach(function (node) {
    var when = new Date(node.getAttribute("datetime"));
    if (isNaN(when.getTime())) return;
    node.title = node.textContent;
    node.textContent = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }).format(when) +
      " (your time)";
  });

  document.querySelectorAll("[data-select-on-focus]").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
    input.addEventListener("click", function () { input.select(); });
  });

  var picker = document.querySelector("[data-model-picker]");
  if (picker) {
    picker.addEventListener("change", function () {
      var model = picker.value;
      document.querySelectorAll("pre[data-template]").forEach(function (pre) {
        var code = pre.querySelector("code") || pre;
        code.textContent = pre.getAttribute("data-template").split(pre.getAttribute("data-model-mark")).join(model);
      });
      document.querySelectorAll("[data-model-input]").forEach(function (input) { input.value = model; });
      document.querySelectorAll("[data-model-name]").forEach(function (el) { el.textContent = model; });
    });
  }

  var testForm = document.querySelector("[data-test-form]");
  if (testForm && window.fetch) {
    testForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var result = document.getElementById("test-result");
      var button = testForm.querySelector("button[type=submit]");
      button.disabled = true;
      result.innerHTML = '<p class="notice">Testing\u2026</p>';
      fetch(testForm.action, {method: "POST", body: new FormData(testForm), credentials: "same-origin",
                              headers: {"Accept": "application/json"}})
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status + " from the portal");
          return response.json();
        })
        .then(function (data) {
          var p = document.createElement("p");
          var strong = document.createElement("strong");
          if (data.ok) {
            p.className = "notice notice-success";
            strong.textContent = "Connected. ";
            p.appendChild(strong);
            p.appendChild(document.createTextNode(data.model + " answered: \u201c" + data.answer + "\u201d"));
          } else {
            p.className = "notice notice-error";
            strong.textContent = "Failed with HTTP " + data.status + (data.error_type ? " (" + data.error_type + ")" : "") + ": ";
            p.appendChild(strong);
            p.appendChild(document.createTextNode(data.error));
          }
          result.replaceChildren(p);
        })
        .catch(function (error) {
          var p = document.createElement("p");
          p.className = "notice notice-error";
          p.textContent = "The test could not run: " + error.message;
          result.replaceChildren(p);
        })
        .finally(function () { button.disabled = false; });
    });
  }
})();
