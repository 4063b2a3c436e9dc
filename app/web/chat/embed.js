// Hotline chat, on any page, with one line:
//   <script src="https://hotline.example/chat/embed.js" async></script>
// Options on the tag: data-lang="zh|en", data-label="Chat with us", data-identity="<signed
// token>" (see docs/chat.md). A round button opens the chat in a panel (an iframe of /chat);
// on a phone the panel takes the whole screen. Styles are set from script, so the host page
// needs no stylesheet of ours, and every name is prefixed to stay out of its way.
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me || window.__hotlineChat) return;
  window.__hotlineChat = true;
  var origin = new URL(me.src).origin;
  var lang = me.getAttribute("data-lang") || ((navigator.language || "en").toLowerCase().indexOf("zh") === 0 ? "zh" : "en");
  var label = me.getAttribute("data-label") || (lang === "zh" ? "在线客服" : "Chat with us");
  var identity = me.getAttribute("data-identity");
  var frame = null;
  var open = false;

  function css(el, styles) {
    for (var k in styles) el.style[k] = styles[k];
    return el;
  }

  var button = css(document.createElement("button"), {
    position: "fixed", right: "20px", bottom: "20px", zIndex: "2147483000",
    display: "flex", alignItems: "center", gap: "8px", padding: "12px 18px",
    border: "0", borderRadius: "999px", background: "#2457c5", color: "#fff",
    font: "600 14px/1 system-ui, -apple-system, 'Segoe UI', Roboto, 'PingFang SC', 'Microsoft YaHei', sans-serif",
    boxShadow: "0 8px 24px rgba(20,30,45,.25)", cursor: "pointer",
  });
  button.type = "button";
  button.id = "hotline-chat-button";
  button.setAttribute("aria-expanded", "false");
  var icon = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  icon.setAttribute("viewBox", "0 0 24 24");
  icon.setAttribute("width", "18");
  icon.setAttribute("height", "18");
  icon.setAttribute("aria-hidden", "true");
  var path = document.createElementNS("http://www.w3.org/2000/svg", "path");
  path.setAttribute("fill", "currentColor");
  path.setAttribute("d", "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z");
  icon.appendChild(path);
  var text = document.createElement("span");
  text.textContent = label;
  button.appendChild(icon);
  button.appendChild(text);

  var panel = css(document.createElement("div"), {
    position: "fixed", right: "20px", bottom: "84px", zIndex: "2147483000",
    width: "380px", height: "600px", maxHeight: "calc(100vh - 104px)",
    borderRadius: "14px", overflow: "hidden", background: "#fff",
    boxShadow: "0 12px 40px rgba(20,30,45,.28)", display: "none",
  });
  panel.id = "hotline-chat-panel";

  function fit() {
    var phone = window.innerWidth < 520;
    css(panel, phone
      ? { right: "0", bottom: "0", width: "100vw", height: "100%", maxHeight: "none", borderRadius: "0" }
      : { right: "20px", bottom: "84px", width: "380px", height: "600px", maxHeight: "calc(100vh - 104px)", borderRadius: "14px" });
    button.style.display = phone && open ? "none" : "flex";
  }

  function toggle() {
    open = !open;
    if (open && !frame) {
      frame = document.createElement("iframe");
      var src = origin + "/chat?embed=1&lang=" + encodeURIComponent(lang);
      if (identity) src += "#identity=" + encodeURIComponent(identity); // a fragment: never logged
      frame.src = src;
      frame.title = label;
      frame.allow = "clipboard-write";
      css(frame, { border: "0", width: "100%", height: "100%", display: "block" });
      panel.appendChild(frame);
    }
    panel.style.display = open ? "block" : "none";
    button.setAttribute("aria-expanded", String(open));
    text.textContent = open ? (lang === "zh" ? "收起" : "Close") : label;
    fit();
  }

  button.addEventListener("click", toggle);
  // The panel's own "minimise" button (on a phone the panel covers this one) says so.
  window.addEventListener("message", function (e) {
    if (e.origin === origin && e.data && e.data.hotline === "minimise" && open) toggle();
  });
  window.addEventListener("resize", fit);
  window.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && open) toggle();
  });

  function mount() {
    document.body.appendChild(panel);
    document.body.appendChild(button);
    fit();
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
