/* Impact pages: draws each [data-chart] element with the vendored Apache ECharts.
 * The numbers come from the element's data attributes (amounts in fen) and are the same as in
 * the table that follows each chart, which stays the accessible source: without JavaScript or
 * ECharts the charts simply stay hidden. It also fills [data-impact-box] placeholders. */
(function () {
  "use strict";

  var locale = document.documentElement.lang || "zh-CN";
  var yuanFormat = new Intl.NumberFormat(locale, {
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  });
  var compactFormat = new Intl.NumberFormat(locale, { notation: "compact" });

  function parse(element, name) {
    try {
      var value = JSON.parse(element.getAttribute(name) || "[]");
      return Array.isArray(value) ? value : [];
    } catch (error) {
      return [];
    }
  }

  function yuan(fen) {
    return "¥" + yuanFormat.format(fen / 100);
  }

  // A target (data-target, in fen) is drawn as a dashed line the axis always reaches.
  // A "share" chart's values are basis points (10000 = 100 %), drawn as bars in per cent.
  function percent(bp) {
    return (bp / 100).toFixed(1) + "%";
  }

  function option(kind, labels, values, series, target) {
    var horizontal = kind === "hbar";
    var share = kind === "share";
    var categoryAxis = {
      type: "category",
      data: labels,
      inverse: horizontal, // the largest first, at the top
      // Every county on a bar list; months may thin out on a phone rather than run together.
      axisLabel: horizontal
        ? { interval: 0, width: 220, overflow: "truncate" }
        : { interval: "auto", hideOverlap: true, width: 80, overflow: "truncate" },
    };
    var valueAxis = {
      type: "value",
      axisLabel: {
        formatter: function (fen) {
          return share ? percent(fen) : compactFormat.format(fen / 100);
        },
      },
    };
    if (target) {
      valueAxis.max = function (extent) {
        return Math.max(extent.max, target);
      };
    }
    return {
      animation: false,
      // The chart's own label (its title, aria-label in the markup, with the table beside it
      // carrying the numbers) names it: ECharts' generated description would replace it.
      aria: { enabled: false },
      grid: { left: horizontal ? 230 : 60, right: 24, top: 16, bottom: horizontal ? 24 : 56 },
      tooltip: {
        trigger: "axis",
        // Drawn inside the chart, not as HTML: ECharts writes its HTML tooltip with style
        // attributes, which the site's Content-Security-Policy refuses.
        renderMode: "richText",
        confine: true,
        valueFormatter: function (fen) {
          return share ? percent(fen) : yuan(fen);
        },
      },
      xAxis: horizontal ? valueAxis : categoryAxis,
      yAxis: horizontal ? categoryAxis : valueAxis,
      series: [
        {
          name: series,
          type: kind === "line" ? "line" : "bar",
          data: values,
          itemStyle: { color: "#2f7d32" },
          smooth: false,
          markLine: target
            ? {
                symbol: "none",
                silent: true,
                lineStyle: { color: "#d9a21b", type: "dashed" },
                label: { formatter: yuan(target), position: "insideEndTop" },
                data: [{ yAxis: target }],
              }
            : undefined,
        },
      ],
    };
  }

  function draw(element) {
    var labels = parse(element, "data-labels");
    var values = parse(element, "data-values");
    if (!labels.length || labels.length !== values.length) {
      return;
    }
    var chart = window.echarts.init(element, null, { renderer: "svg", locale: "ZH" });
    chart.setOption(
      option(
        element.getAttribute("data-chart"),
        labels,
        values,
        element.getAttribute("data-series"),
        Number(element.getAttribute("data-target")) || 0
      )
    );
    window.addEventListener("resize", function () {
      chart.resize();
    });
  }

  // <div data-impact-box="/impact/counties/522732/box"></div> on a page of another domain
  // (the storefront's county page) is filled with that server-rendered, escaped fragment.
  function loadBox(element) {
    fetch(element.getAttribute("data-impact-box"), { headers: { Accept: "text/html" } })
      .then(function (response) {
        return response.ok ? response.text() : "";
      })
      .then(function (html) {
        if (html) {
          element.innerHTML = html;
        }
      })
      .catch(function () {
        // The box is an extra: without it the page is complete.
      });
  }

  // A table[data-sortable]: each header button sorts the rows by its column's data-sort
  // values (numbers) or text, ascending then descending; aria-sort says which.
  function sortBy(table, header, column) {
    var body = table.tBodies[0];
    var descending = header.getAttribute("aria-sort") === "ascending";
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[column].getAttribute("data-sort") || a.cells[column].textContent;
      var y = b.cells[column].getAttribute("data-sort") || b.cells[column].textContent;
      var nx = Number(x);
      var ny = Number(y);
      var order = !isNaN(nx) && !isNaN(ny) ? nx - ny : x.localeCompare(y, locale);
      return descending ? -order : order;
    });
    rows.forEach(function (row) {
      body.appendChild(row);
    });
    var headers = table.tHead.rows[0].cells;
    for (var h = 0; h < headers.length; h += 1) {
      headers[h].removeAttribute("aria-sort");
    }
    header.setAttribute("aria-sort", descending ? "descending" : "ascending");
  }

  function sortable(table) {
    var headers = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(headers, function (header, column) {
      var button = header.querySelector("button[data-sort-column]");
      if (button) {
        button.addEventListener("click", function () {
          sortBy(table, header, column);
        });
      }
    });
  }

  // ECharts (half a megabyte) is fetched when the first chart comes near the screen, and the
  // charts are drawn one per task as each one does: a page that opens on its totals does not
  // wait for what is below. The script's URL (content-hashed) is this script's data-echarts.
  var library = document.currentScript && document.currentScript.getAttribute("data-echarts");
  var loading = null;

  function loadLibrary() {
    if (window.echarts) {
      return Promise.resolve();
    }
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = library;
        script.onload = resolve;
        script.onerror = reject;
        document.head.appendChild(script);
      });
    }
    return loading;
  }

  function drawSoon(element) {
    loadLibrary()
      .then(function () {
        setTimeout(function () {
          draw(element);
        }, 0);
      })
      .catch(function () {
        // Without ECharts the tables beside the charts carry the numbers.
        element.hidden = true;
      });
  }

  function start() {
    var tables = document.querySelectorAll("table[data-sortable]");
    for (var t = 0; t < tables.length; t += 1) {
      sortable(tables[t]);
    }
    var boxes = document.querySelectorAll("[data-impact-box]");
    for (var b = 0; b < boxes.length; b += 1) {
      loadBox(boxes[b]);
    }
    var charts = Array.prototype.filter.call(
      document.querySelectorAll("[data-chart]"),
      function (element) {
        var labels = parse(element, "data-labels");
        return labels.length > 0 && labels.length === parse(element, "data-values").length;
      }
    );
    if (!charts.length || (!library && !window.echarts)) {
      return;
    }
    // Each chart takes its place at once (no shift when it is drawn), empty until then; the
    // height is set through the CSSOM, which the CSP allows (a style attribute it would refuse).
    charts.forEach(function (element) {
      var height = Number(element.getAttribute("data-height"));
      if (height > 0) {
        element.style.height = height + "px";
      }
      element.hidden = false;
    });
    if (!("IntersectionObserver" in window)) {
      charts.forEach(drawSoon);
      return;
    }
    var observer = new IntersectionObserver(
      function (entries) {
        entries.forEach(function (entry) {
          if (entry.isIntersecting) {
            observer.unobserve(entry.target);
            drawSoon(entry.target);
          }
        });
      },
      { rootMargin: "200px 0px" }
    );
    charts.forEach(function (element) {
      observer.observe(element);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
