// The playground's HTML and CSS: static text, no data in it (everything the page
// shows comes from the authenticated /v1 and /api/v1 routes), no external assets.

export const PLAYGROUND_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>rouse playground</title>
<link rel="stylesheet" href="/ui/playground.css">
<script src="/ui/playground.js" defer></script>
</head>
<body>
<header>
  <h1>rouse <span>playground</span></h1>
  <form id="auth" autocomplete="off">
    <label for="key">API key</label>
    <input id="key" type="password" placeholder="not needed on loopback without keys" spellcheck="false">
    <button id="key-save" type="submit">Use key</button>
    <button id="key-forget" type="button">Forget</button>
    <span id="auth-status" role="status"></span>
  </form>
  <nav><a href="/docs">API reference</a></nav>
</header>
<main>
  <section id="chat" aria-label="Chat">
    <div id="settings">
      <label>Model <select id="model"></select></label>
      <label>Temperature <input id="temperature" type="number" min="0" max="2" step="0.1" value="0.7"></label>
      <label>Max tokens <input id="max-tokens" type="number" min="1" max="131072" step="1" value="512"></label>
      <button id="new-chat" type="button">New chat</button>
      <label class="wide">System prompt <textarea id="system" rows="2" placeholder="You are a helpful assistant."></textarea></label>
    </div>
    <div id="messages" aria-live="polite"></div>
    <form id="composer">
      <textarea id="prompt" rows="3" placeholder="Ask something — Enter sends, Shift+Enter for a new line"></textarea>
      <div class="buttons">
        <button id="send" type="submit">Send</button>
        <button id="stop" type="button" disabled>Stop</button>
      </div>
    </form>
  </section>
  <section id="fleet" aria-label="Fleet">
    <h2>Fleet <span id="fleet-status" role="status"></span></h2>
    <p id="fleet-gateway"></p>
    <div id="fleet-list"></div>
  </section>
</main>
</body>
</html>
`;

export const PLAYGROUND_CSS = `:root { --fg:#1d2330; --muted:#5b6475; --line:#e3e7ee; --bg:#f7f9fc; --accent:#2463eb; --code:#f1f3f8; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color:var(--fg); background:#fff; }
header { display:flex; flex-wrap:wrap; gap:16px; align-items:center; padding:10px 20px; border-bottom:1px solid var(--line); background:var(--bg); }
header h1 { margin:0; font-size:20px; } header h1 span { color:var(--muted); font-weight:400; }
header nav { margin-left:auto; } a { color:var(--accent); }
#auth { display:flex; gap:6px; align-items:center; font-size:14px; }
#auth input { width:220px; }
#auth-status { color:var(--muted); } #auth-status.bad { color:#c0392b; }
input, select, textarea, button { font:inherit; font-size:14px; }
input, select, textarea { border:1px solid #cfd6e2; border-radius:6px; padding:4px 8px; background:#fff; color:var(--fg); }
button { border:1px solid #cfd6e2; border-radius:6px; padding:4px 12px; background:#fff; cursor:pointer; }
button:disabled { opacity:.5; cursor:default; }
#send { background:var(--accent); border-color:var(--accent); color:#fff; }
#stop:not(:disabled) { border-color:#c0392b; color:#c0392b; }
main { display:grid; grid-template-columns:minmax(0, 3fr) minmax(320px, 2fr); gap:0; min-height:calc(100vh - 56px); }
@media (max-width: 900px) { main { grid-template-columns:1fr; } }
#chat { display:flex; flex-direction:column; padding:12px 20px; border-right:1px solid var(--line); min-width:0; }
#settings { display:flex; flex-wrap:wrap; gap:8px 14px; align-items:end; font-size:13px; color:var(--muted); }
#settings label { display:flex; flex-direction:column; gap:2px; }
#settings .wide { flex-basis:100%; } #settings textarea { width:100%; resize:vertical; }
#temperature, #max-tokens { width:96px; } #model { min-width:180px; }
#messages { flex:1; overflow-y:auto; padding:12px 0; display:flex; flex-direction:column; gap:12px; }
.msg { border:1px solid var(--line); border-radius:10px; padding:8px 14px; max-width:100%; }
.msg.user { background:var(--bg); align-self:flex-end; white-space:pre-wrap; }
.msg .role { font-size:12px; color:var(--muted); text-transform:uppercase; letter-spacing:.04em; }
.msg .body { overflow-wrap:anywhere; }
.msg .body p { margin:6px 0; } .msg .body pre { background:var(--code); padding:8px 10px; border-radius:6px; overflow-x:auto; }
.msg .body code { font-family:ui-monospace, monospace; font-size:13px; background:var(--code); padding:0 3px; border-radius:3px; }
.msg .body pre code { padding:0; background:none; }
.msg .body blockquote { margin:6px 0; padding-left:10px; border-left:3px solid var(--line); color:var(--muted); }
.msg .stats { font-size:12px; color:var(--muted); margin-top:4px; }
.msg .stats .cold { color:#b45309; font-weight:600; }
.msg .error { color:#c0392b; }
.msg[data-state=streaming] .body > :last-child::after, .msg[data-state=streaming] .body:empty::after { content:"▍"; color:var(--accent); }
#composer { display:flex; gap:8px; border-top:1px solid var(--line); padding-top:10px; }
#composer textarea { flex:1; resize:vertical; }
#composer .buttons { display:flex; flex-direction:column; gap:6px; }
#fleet { padding:12px 20px; background:#fcfdfe; min-width:0; }
#fleet h2 { margin:0 0 6px; font-size:17px; } #fleet-status { font-size:12px; font-weight:400; color:var(--muted); }
#fleet-gateway { margin:0 0 10px; font-size:13px; color:var(--muted); }
.upstream { border:1px solid var(--line); border-radius:10px; padding:8px 12px; margin-bottom:10px; background:#fff; }
.upstream .top { display:flex; gap:8px; align-items:center; flex-wrap:wrap; }
.upstream .name { font-weight:600; } .upstream .kind { font-size:12px; color:var(--muted); }
.upstream dl { display:grid; grid-template-columns:auto 1fr; gap:1px 10px; margin:6px 0 0; font-size:13px; }
.upstream dt { color:var(--muted); } .upstream dd { margin:0; overflow-wrap:anywhere; }
.badge { font:600 12px ui-monospace, monospace; padding:1px 8px; border-radius:10px; background:#e5e7eb; color:#374151; }
.badge[data-state=ready] { background:#dcfce7; color:#166534; }
.badge[data-state=warming] { background:#fef3c7; color:#92400e; }
.badge[data-state=cold] { background:#e0e7ff; color:#3730a3; }
.badge[data-state=sleeping], .badge[data-state=suspended] { background:#ede9fe; color:#5b21b6; }
.badge[data-state=failed] { background:#fee2e2; color:#991b1b; }
`;
