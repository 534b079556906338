// Review images: blurred greyscale by default (made on the server). A click (not hover) swaps
// in sharp greyscale, a second, separate button swaps in colour; each swap is a fresh request
// the server records. The image blurs again after the moderator's re-blur time, when the
// pointer or focus leaves it, or when the page is hidden. Each reveal counts on the page, and
// the break prompt shows once the moderator's reveals or minutes since a break pass their own
// thresholds.

const STATE = { blurred: "Blurred", grey: "Revealed: greyscale", colour: "Revealed: colour" };
let fetches = 0;

const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));
const figureOf = (el) => (el && el.closest ? el.closest("[data-review-image]") : null);

function show(figure, level, note) {
  const img = figure.querySelector("img");
  const toggle = figure.querySelector("[data-reveal-toggle]");
  window.clearTimeout(figure.reblurTimer);
  figure.dataset.level = level;
  // A reveal is always a new request (and audit event), never the browser's copy.
  img.src = level === "blurred" ? figure.dataset.blurredSrc : `${figure.dataset[level + "Src"]}&n=${++fetches}`;
  toggle.setAttribute("aria-pressed", String(level !== "blurred"));
  toggle.setAttribute(
    "aria-label",
    level === "blurred" ? "Review image, blurred: reveal in greyscale (recorded)" : "Review image, revealed: blur it again",
  );
  const colour = figure.querySelector("[data-reveal-colour]");
  if (level !== "grey" && document.activeElement === colour) toggle.focus(); // keep focus in the figure
  colour.hidden = level === "blurred";
  colour.disabled = level !== "grey"; // stays in place while colour shows, so the pointer has not left
  figure.querySelector("[data-reveal-state]").textContent = note || STATE[level];
  if (level !== "blurred") {
    const seconds = Number(figure.dataset.reblurSeconds) || 5;
    figure.reblurTimer = window.setTimeout(() => show(figure, "blurred"), seconds * 1000);
  }
}

function blurAll() {
  for (const figure of $$("[data-review-image]")) {
    if (figure.dataset.level !== "blurred") show(figure, "blurred");
  }
}

function onClick(event) {
  const figure = figureOf(event.target);
  if (!figure) return;
  if (event.target.closest("[data-reveal-toggle]")) {
    const revealing = figure.dataset.level === "blurred";
    if (revealing) blurAll(); // one image at a time (a video report's keyframes are a strip)
    show(figure, revealing ? "grey" : "blurred");
  } else if (event.target.closest("[data-reveal-colour]") && figure.dataset.level === "grey") {
    show(figure, "colour");
  }
}

function onLoad(event) {
  const figure = figureOf(event.target);
  if (figure && event.target.tagName === "IMG" && figure.dataset.level !== "blurred") {
    figure.dispatchEvent(new CustomEvent("review:revealed", { bubbles: true, detail: { level: figure.dataset.level } }));
  }
}

function onError(event) {
  const figure = figureOf(event.target);
  if (figure && event.target.tagName === "IMG" && figure.dataset.level !== "blurred") {
    show(figure, "blurred", "Not revealed: today's limit may be reached (open the link to see why).");
  }
}

function leave(event) {
  // The pointer left the image (for the window too), or focus moved to something else;
  // focus moving nowhere, as when a control inside hides, is not leaving.
  const figure = figureOf(event.target);
  if (!figure || figure.dataset.level === "blurred") return;
  const to = event.relatedTarget;
  if (to ? !figure.contains(to) : event.type === "mouseout") show(figure, "blurred");
}

function ready() {
  for (const toggle of $$("[data-review-image] [data-reveal-toggle]")) toggle.disabled = false;
  for (const links of $$("[data-review-image] [data-no-js]")) links.hidden = true;
}

// --- exposure -----------------------------------------------------------------------------

function bump(selector, by) {
  const el = document.querySelector(selector);
  if (el) el.textContent = String(Math.max(0, Number(el.textContent) + by));
}

function checkBreak() {
  const prompt = document.querySelector("[data-break-prompt]");
  if (!prompt || !prompt.hidden) return;
  const minutes = (Date.now() - Date.parse(prompt.dataset.breakAt)) / 60000;
  if (
    Number(prompt.dataset.sinceBreak) >= Number(prompt.dataset.breakReveals) ||
    minutes >= Number(prompt.dataset.breakMinutes)
  ) {
    prompt.hidden = false;
  }
}

function onRevealed() {
  bump("[data-reveal-count]", 1);
  bump("[data-reveals-left]", -1);
  const prompt = document.querySelector("[data-break-prompt]");
  if (prompt) prompt.dataset.sinceBreak = String(Number(prompt.dataset.sinceBreak) + 1);
  checkBreak();
}

document.addEventListener("review:revealed", onRevealed);
window.setInterval(checkBreak, 30000);
document.addEventListener("click", onClick);
document.addEventListener("load", onLoad, true); // load and error do not bubble: capture
document.addEventListener("error", onError, true);
document.addEventListener("mouseout", leave);
document.addEventListener("focusout", leave);
document.addEventListener("visibilitychange", () => {
  if (document.hidden) blurAll();
});
window.addEventListener("pagehide", blurAll);
ready(); // a module runs once the document is parsed
