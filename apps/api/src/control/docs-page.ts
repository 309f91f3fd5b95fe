// A self-contained API reference page: no CDN, no external assets. It fetches
// /openapi.json and renders operations and schemas with a few lines of script.

export const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rouse server API</title>
<style>
  :root { --fg:#1d2330; --muted:#5b6475; --line:#e3e7ee; --bg:#f7f9fc; --accent:#2463eb; }
  * { box-sizing: border-box; }
  body { margin:0; font:15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color:var(--fg); background:#fff; }
  header { padding:20px 32px; border-bottom:1px solid var(--line); background:var(--bg); }
  header h1 { margin:0; font-size:22px; }
  header p { margin:4px 0 0; color:var(--muted); max-width:900px; }
  main { padding:8px 32px 48px; max-width:1100px; }
  h2 { margin:28px 0 8px; font-size:18px; text-transform:capitalize; }
  .op { border:1px solid var(--line); border-radius:8px; margin:10px 0; overflow:hidden; }
  .op summary { cursor:pointer; padding:10px 14px; display:flex; gap:12px; align-items:center; list-style:none; }
  .op[open] summary { border-bottom:1px solid var(--line); background:var(--bg); }
  .method { font:600 12px ui-monospace, monospace; padding:2px 8px; border-radius:4px; color:#fff; min-width:52px; text-align:center; }
  .get { background:#1f9d55; } .post { background:var(--accent); }
  .path { font-family:ui-monospace, monospace; font-weight:600; }
  .summary { color:var(--muted); }
  .body { padding:10px 16px 14px; }
  .body h4 { margin:12px 0 4px; font-size:13px; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); }
  table { border-collapse:collapse; width:100%; font-size:14px; }
  td, th { text-align:left; padding:4px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
  code, .type { font-family:ui-monospace, monospace; font-size:13px; }
  .type { color:#8a3ffc; } .req { color:#c0392b; font-size:12px; }
  .schema { margin-left:14px; }
  #error { color:#c0392b; }
</style>
</head>
<body>
<header>
  <h1 id="title">rouse server API</h1>
  <p id="description">Loading the OpenAPI document…</p>
</header>
<main id="content"><p id="error"></p></main>
<script>
(function () {
  var content = document.getElementById("content");
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; }
  function resolve(doc, s) {
    var seen = 0;
    while (s && s.$ref && seen++ < 20) {
      var parts = s.$ref.replace(/^#\\//, "").split("/");
      s = parts.reduce(function (o, k) { return o && o[k]; }, doc);
    }
    return s || {};
  }
  function typeOf(doc, s) {
    s = resolve(doc, s);
    if (s.enum) return s.enum.map(function (v) { return JSON.stringify(v); }).join(" | ");
    if (s.const !== undefined) return JSON.stringify(s.const);
    if (s.anyOf || s.oneOf) return (s.anyOf || s.oneOf).map(function (x) { return typeOf(doc, x); }).join(" | ");
    if (s.type === "array") { var inner = typeOf(doc, s.items || {}); return (inner.indexOf(" | ") >= 0 ? "(" + inner + ")" : inner) + "[]"; }
    if (Array.isArray(s.type)) return s.type.join(" | ");
    return s.type || "any";
  }
  function schemaTable(doc, s, depth) {
    s = resolve(doc, s);
    var wrap = el("div", depth ? "schema" : "");
    var variants = s.anyOf || s.oneOf;
    if (variants) {
      variants.forEach(function (v, i) { wrap.appendChild(el("div", "summary", "one of (" + (i + 1) + "):")); wrap.appendChild(schemaTable(doc, v, depth + 1)); });
      return wrap;
    }
    if (!s.properties) { wrap.appendChild(el("code", "type", typeOf(doc, s))); return wrap; }
    var t = el("table"); var req = s.required || [];
    Object.keys(s.properties).forEach(function (name) {
      var p = resolve(doc, s.properties[name]);
      var tr = el("tr");
      var n = el("td"); n.appendChild(el("code", null, name)); if (req.indexOf(name) >= 0) n.appendChild(el("span", "req", " required"));
      tr.appendChild(n);
      tr.appendChild(el("td", "type", typeOf(doc, p)));
      var d = el("td", null, p.description || "");
      var inner = p.type === "array" ? resolve(doc, p.items || {}) : p;
      if (depth < 3 && inner.properties) d.appendChild(schemaTable(doc, inner, depth + 1));
      tr.appendChild(d);
      t.appendChild(tr);
    });
    wrap.appendChild(t);
    return wrap;
  }
  function render(doc) {
    document.getElementById("title").textContent = doc.info.title + " " + doc.info.version;
    document.getElementById("description").textContent = doc.info.description || "";
    document.title = doc.info.title + " — API reference";
    var byTag = {};
    Object.keys(doc.paths).forEach(function (path) {
      Object.keys(doc.paths[path]).forEach(function (method) {
        var op = doc.paths[path][method];
        var tag = (op.tags && op.tags[0]) || "other";
        (byTag[tag] = byTag[tag] || []).push({ path: path, method: method, op: op });
      });
    });
    (doc.tags || []).map(function (t) { return t.name; }).concat(Object.keys(byTag)).forEach(function (tag, i, all) {
      if (all.indexOf(tag) !== i || !byTag[tag]) return;
      content.appendChild(el("h2", null, tag));
      byTag[tag].forEach(function (item) {
        var op = item.op; var d = el("details", "op"); d.id = item.method + "-" + item.path;
        var s = el("summary");
        s.appendChild(el("span", "method " + item.method, item.method.toUpperCase()));
        s.appendChild(el("span", "path", item.path));
        s.appendChild(el("span", "summary", op.summary || ""));
        d.appendChild(s);
        var b = el("div", "body");
        if (op.security && op.security.length) b.appendChild(el("div", "summary", "Requires Authorization: Bearer <key>"));
        if (op.parameters) {
          b.appendChild(el("h4", null, "Parameters"));
          var t = el("table");
          op.parameters.forEach(function (p) { var tr = el("tr"); tr.appendChild(el("td", null, p.name + " (" + p.in + ")")); tr.appendChild(el("td", "type", typeOf(doc, p.schema || {}))); tr.appendChild(el("td", null, p.description || "")); t.appendChild(tr); });
          b.appendChild(t);
        }
        if (op.requestBody) {
          b.appendChild(el("h4", null, "Request body"));
          var media = op.requestBody.content["application/json"];
          if (media) b.appendChild(schemaTable(doc, media.schema, 0));
        }
        b.appendChild(el("h4", null, "Responses"));
        var rt = el("table");
        Object.keys(op.responses || {}).forEach(function (code) {
          var r = op.responses[code]; var tr = el("tr");
          tr.appendChild(el("td", null, code));
          var desc = el("td", null, r.description || "");
          if (r.headers) desc.appendChild(el("div", "summary", "headers: " + Object.keys(r.headers).join(", ")));
          var m = r.content && r.content["application/json"];
          if (m && m.schema && m.schema.$ref) desc.appendChild(el("div", "type", m.schema.$ref.split("/").pop()));
          tr.appendChild(desc); rt.appendChild(tr);
        });
        b.appendChild(rt);
        d.appendChild(b);
        content.appendChild(d);
      });
    });
    content.appendChild(el("h2", null, "schemas"));
    Object.keys(doc.components.schemas).forEach(function (name) {
      var d = el("details", "op"); d.id = "schema-" + name;
      var s = el("summary"); s.appendChild(el("span", "path", name)); d.appendChild(s);
      var b = el("div", "body"); b.appendChild(schemaTable(doc, doc.components.schemas[name], 0)); d.appendChild(b);
      content.appendChild(d);
    });
    document.body.setAttribute("data-rendered", "true");
  }
  fetch("openapi.json").then(function (r) { return r.json(); }).then(render).catch(function (e) {
    document.getElementById("error").textContent = "Could not load /openapi.json: " + e;
  });
})();
</script>
</body>
</html>
`;
