// Light touches only: the pages work without this file.
(function () {
  "use strict";

  // Replay page: poll the progress endpoint; reload when the replay ends.
  const panel = document.getElementById("replay-progress");
  if (panel && panel.dataset.status === "running") {
    const show = (id, text) => { const el = document.getElementById(id); if (el) el.textContent = text; };
    const poll = async () => {
      try {
        const response = await fetch(panel.dataset.progress, { headers: { Accept: "application/json" } });
        if (!response.ok) throw new Error(String(response.status));
        const job = await response.json();
        show("replay-status", job.status);
        show("replay-arm", job.arm);
        show("replay-stage", job.stage);
        show("replay-count", job.done + "/" + job.total);
        const bar = document.getElementById("replay-bar");
        if (bar) { bar.max = job.total || 1; bar.value = job.done; }
        if (job.status !== "running") { window.location.reload(); return; }
      } catch (error) {
        show("replay-stage", "waiting for the server…");
      }
      window.setTimeout(poll, 1000);
    };
    window.setTimeout(poll, 500);
  }

  // Sandbox: keep the newest messages in view, Enter sends (Shift+Enter for a new line).
  for (const id of ["customer-messages"]) {
    const box = document.getElementById(id);
    if (box) box.scrollTop = box.scrollHeight;
  }
  const question = document.getElementById("question");
  if (question) {
    question.focus();
    question.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        if (question.value.trim()) question.form.requestSubmit();
      }
    });
  }
  // A picker that switches the page as soon as it changes (no inline handlers: the CSP forbids them).
  for (const picker of document.querySelectorAll("[data-submit-on-change]")) {
    picker.addEventListener("change", () => picker.form.submit());
  }
  // Buttons say they are working (asking takes a moment on a cold model).
  document.addEventListener("submit", (event) => {
    const button = event.target.querySelector("button[type=submit], button:not([type])");
    if (button) { button.disabled = true; button.textContent = "…"; }
  });
})();
