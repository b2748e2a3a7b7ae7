// The "Log a visit" page: WHO z-scores shown while the growth is typed, the units an analyte is
// accepted in, and spare rows of lab results and findings revealed one at a time. The page works
// without this script: the z-scores are then shown when the page comes back, and every row shows.
(function () {
  "use strict";

  var DEBOUNCE_MS = 400;

  function byId(id) {
    return document.getElementById(id);
  }

  // --- z-scores as the growth is typed ----------------------------------------------------------

  function setupGrowthPreview() {
    var box = document.querySelector(".visit-log .zscores");
    var output = byId("growth-zscores");
    if (!box || !output || !window.fetch) {
      return;
    }
    var fields = {
      measured_on: byId("id_visit-visit_date"),
      weight_kg: byId("id_growth-weight_kg"),
      length_cm: byId("id_growth-length_cm"),
      length_position: byId("id_growth-length_position"),
      head_circumference_cm: byId("id_growth-head_circumference_cm"),
    };
    var measured = ["weight_kg", "length_cm", "head_circumference_cm"];
    var timer = null;
    var inFlight = null;

    function say(text) {
      var paragraph = document.createElement("p");
      paragraph.textContent = text;
      output.replaceChildren(paragraph);
    }

    function show(data) {
      if (data.message) {
        say(data.message);
        return;
      }
      if (!data.scores.length) {
        say(box.dataset.empty);
        return;
      }
      var list = document.createElement("ul");
      list.className = "scores";
      data.scores.forEach(function (score) {
        var item = document.createElement("li");
        var label = document.createElement("span");
        label.className = "indicator";
        label.textContent = score.label;
        item.append(label, " " + score.text);
        if (score.implausible) {
          var warning = document.createElement("strong");
          warning.className = "implausible";
          warning.textContent = box.dataset.implausible;
          item.append(" ", warning);
        }
        list.append(item);
      });
      output.replaceChildren(list);
      if (data.note) {
        var note = document.createElement("p");
        note.textContent = data.note;
        output.append(note);
      }
    }

    function refresh() {
      var typed = measured.some(function (name) {
        return fields[name] && fields[name].value.trim() !== "";
      });
      if (inFlight) {
        inFlight.abort();
        inFlight = null;
      }
      if (!typed || !fields.measured_on || !fields.measured_on.value) {
        say(box.dataset.empty);
        return;
      }
      var query = new URLSearchParams();
      Object.keys(fields).forEach(function (name) {
        if (fields[name] && fields[name].value.trim() !== "") {
          query.set(name, fields[name].value.trim());
        }
      });
      inFlight = new AbortController();
      fetch(box.dataset.previewUrl + "?" + query.toString(), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        signal: inFlight.signal,
      })
        .then(function (response) {
          if (response.status === 400) {
            say(box.dataset.invalid);
            return null;
          }
          if (!response.ok) {
            throw new Error("growth preview answered " + response.status);
          }
          return response.json();
        })
        .then(function (data) {
          if (data) {
            show(data);
          }
        })
        .catch(function (error) {
          if (error.name !== "AbortError") {
            say(box.dataset.failed);
          }
        });
    }

    function schedule() {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, DEBOUNCE_MS);
    }

    Object.keys(fields).forEach(function (name) {
      if (fields[name]) {
        fields[name].addEventListener("input", schedule);
        fields[name].addEventListener("change", schedule);
      }
    });
  }

  // --- the units each analyte is accepted in --------------------------------------------------------

  function setupUnits() {
    var container = document.querySelector(".visit-log [data-units]");
    if (!container) {
      return;
    }
    var units = JSON.parse(container.dataset.units);
    container.querySelectorAll(".lab-row").forEach(function (row) {
      var analyte = row.querySelector("select[name$='-analyte']");
      var unit = row.querySelector("select[name$='-unit']");
      if (!analyte || !unit) {
        return;
      }
      function offer() {
        var accepted = units[analyte.value];
        Array.prototype.forEach.call(unit.options, function (option) {
          var fits = !accepted || option.value === "" || accepted.indexOf(option.value) !== -1;
          option.hidden = !fits;
          option.disabled = !fits;
        });
        if (accepted && accepted.indexOf(unit.value) === -1) {
          unit.value = accepted[0];
        }
      }
      analyte.addEventListener("change", offer);
      if (analyte.value) {
        offer();
      }
    });
  }

  // --- spare rows, revealed one at a time -------------------------------------------------------------

  function setupSpareRows() {
    document.querySelectorAll(".visit-log .rows-of-entries").forEach(function (container) {
      var button = container.querySelector("[data-add-row]");
      var spare = Array.prototype.slice.call(container.querySelectorAll("[data-spare]"));
      if (!button || !spare.length) {
        return;
      }
      spare.forEach(function (row) {
        row.hidden = true;
      });
      button.hidden = false;
      button.addEventListener("click", function () {
        var row = spare.shift();
        row.hidden = false;
        var first = row.querySelector("select, input");
        if (first) {
          first.focus();
        }
        if (!spare.length) {
          button.hidden = true;
        }
      });
    });
  }

  function focusErrors() {
    var summary = byId("error-summary");
    if (summary) {
      summary.focus();
    }
  }

  function start() {
    setupGrowthPreview();
    setupUnits();
    setupSpareRows();
    focusErrors();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
