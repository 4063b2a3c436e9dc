// Keyboard shortcuts: A / Enter accept, R / Esc reject (Alt+A / Alt+R even while typing),
// "/" customer search, "?" this list. Plain letters never fire while the agent types.
import { isTyping } from "../shared/dom.js";

/** topCard() → the open OfferCard on top, or null. */
export function installShortcuts({ topCard, isActive, onSearch, onHelp }) {
  document.addEventListener("keydown", (e) => {
    if (!isActive()) return;
    const card = topCard();
    const key = e.key;
    if (e.altKey && !e.ctrlKey && !e.metaKey && card && (e.code === "KeyA" || e.code === "KeyR")) {
      e.preventDefault();
      if (e.code === "KeyA") card.accept();
      else card.toggleReject(true);
      return;
    }
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    if (card && key === "Escape" && card.rejecting) {
      e.preventDefault();
      card.toggleReject(false);
      return;
    }
    if (isTyping(e.target)) return;
    if (card) {
      // Enter on another button keeps its own meaning.
      const onControl = e.target.closest?.("button, a, summary, input") && !card.acceptBtn.contains(e.target);
      if (key === "a" || key === "A" || (key === "Enter" && !onControl)) {
        e.preventDefault();
        card.accept();
        return;
      }
      if (key === "r" || key === "R" || key === "Escape") {
        e.preventDefault();
        card.toggleReject(true);
        return;
      }
    }
    if (key === "/") {
      e.preventDefault();
      onSearch();
    } else if (key === "?") {
      e.preventDefault();
      onHelp();
    }
  });
}
