// Draws the dashboard's charts with Apache ECharts (served from this site) from
// the counts the page embeds as JSON. Without script the numbers and tables stay.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  var palette = ["#0f6cbd", "#c50f1f", "#da3b01", "#107c10", "#8764b8", "#038387", "#ca5010", "#4f6bed", "#986f0b", "#e3008c"];
  function draw(id, option) {
    var el = document.getElementById(id);
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption(Object.assign({ color: palette, animation: false, textStyle: { fontFamily: "Segoe UI, PingFang SC, Microsoft YaHei, sans-serif" } }, option));
    el.dataset.drawn = "true";
    window.addEventListener("resize", function () { chart.resize(); });
    return chart;
  }
  var codes = Object.keys(data.codes);
  draw("chart-findings", {
    title: { text: data.labels.findings, textStyle: { fontSize: 14 } },
    tooltip: { trigger: "axis" },
    legend: { type: "scroll", bottom: 0 },
    grid: { left: 40, right: 16, top: 40, bottom: 60 },
    xAxis: { type: "category", data: data.days.map(function (d) { return d.slice(5); }) },
    yAxis: { type: "value", minInterval: 1 },
    series: codes.map(function (code) { return { name: code, type: "bar", stack: "findings", data: data.codes[code] }; })
  });
  var verdictColors = { ok: "#107c10", review: "#bc4b09", block: "#b10e1c" };
  draw("chart-verdicts", {
    title: { text: data.labels.verdicts, textStyle: { fontSize: 14 } },
    tooltip: { trigger: "item" },
    series: [{ type: "pie", radius: ["40%", "70%"], top: 30,
      data: Object.keys(data.verdicts).map(function (v) {
        return { name: data.verdictNames[v] || v, value: data.verdicts[v], itemStyle: { color: verdictColors[v] } };
      }) }]
  });
  function bars(id, title, rows) {
    draw(id, {
      title: { text: title, textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis" },
      grid: { left: 16, right: 24, top: 40, bottom: 16, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", inverse: true, data: rows.map(function (r) { return r[0]; }) },
      series: [{ type: "bar", data: rows.map(function (r) { return r[1]; }) }]
    });
  }
  bars("chart-overrides", data.labels.overrides, data.overrides);
  bars("chart-countries", data.labels.countries, data.countries);
})();
