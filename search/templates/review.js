// The review queue page's keys: s = same customer, d = different, k or j = skip to the next pair.
// A decision is posted as the page's form would post it (with its CSRF token); the page stays.
"use strict";
(function () {
  const cards = Array.from(document.querySelectorAll(".review-card"));
  const progress = document.getElementById("progress");
  if (!cards.length) return;
  let current = Math.max(0, cards.findIndex((c) => c.dataset.status === "pending"));

  function show(i) {
    current = Math.min(Math.max(0, i), cards.length - 1);
    cards.forEach((c, n) => c.classList.toggle("current", n === current));
    cards[current].scrollIntoView({ block: "nearest" });
  }

  function countDecided(card) {
    if (card.dataset.status !== "pending") return;
    const decided = Number(progress.dataset.decided) + 1;
    progress.dataset.decided = String(decided);
    progress.querySelector("strong").textContent = decided + " of " + progress.dataset.total + " decided";
  }

  async function decide(card, decision) {
    if (card.dataset.busy) return; // a key held down: one decision at a time per pair
    card.dataset.busy = "1";
    try {
      await post(card, decision);
    } finally {
      delete card.dataset.busy;
    }
  }

  async function post(card, decision) {
    const form = card.querySelector("form.decide");
    const body = new URLSearchParams(new FormData(form));
    body.set("decision", decision);
    const error = card.querySelector(".decide-error");
    const answer = await fetch(form.action, { method: "POST", body: body, redirect: "manual", credentials: "same-origin" });
    if (answer.type !== "opaqueredirect" && !answer.ok) {
      error.textContent = "未保存 Not saved (" + answer.status + ")";
      error.hidden = false;
      return;
    }
    error.hidden = true;
    countDecided(card);
    card.dataset.status = decision;
    const badge = card.querySelector(".badge.status");
    badge.textContent = decision;
    badge.className = "badge status " + (decision === "same" ? "good" : "warn");
    show(current + 1);
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.target.closest("input, textarea, select")) return;
    const key = event.key.toLowerCase();
    if (key === "s" || key === "d") {
      event.preventDefault();
      decide(cards[current], key === "s" ? "same" : "different");
    } else if (key === "k" || key === "j") {
      event.preventDefault();
      show(current + 1);
    }
  });
  cards.forEach((card, n) => card.addEventListener("click", () => show(n)));
  show(current);
})();
