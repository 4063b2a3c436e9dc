// Imported first by chat.js, before the shared modules read localStorage. A chat page framed
// by another site (the embed snippet) is a third-party document: browsers that block
// third-party storage throw on any use of localStorage, which would stop the page before it
// draws. Then the page keeps its state in memory instead (a reload starts a new chat; the
// conversation itself is safe on the server).
function usable() {
  try {
    const probe = "hotline.probe";
    window.localStorage.setItem(probe, "1");
    window.localStorage.removeItem(probe);
    return true;
  } catch {
    return false;
  }
}

if (!usable()) {
  const data = new Map();
  const memory = {
    getItem: (k) => (data.has(String(k)) ? data.get(String(k)) : null),
    setItem: (k, v) => void data.set(String(k), String(v)),
    removeItem: (k) => void data.delete(String(k)),
    clear: () => data.clear(),
    key: (i) => [...data.keys()][i] ?? null,
    get length() {
      return data.size;
    },
  };
  Object.defineProperty(window, "localStorage", { value: memory, configurable: true });
}
