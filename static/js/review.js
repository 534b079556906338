// Keyboard-first reviewing and the claim lease on the moderation pages.
// Every control this drives is a real link, button or form that works without it; keys are
// ignored while typing in a field (Escape leaves the field) and with Ctrl, Alt or Meta held.
// Keys: ? help, n next item, j/k next/previous, 1-9 reason, c confirm, d dismiss,
// e escalate (opens the note; Ctrl+Enter there or e again sends it), r reveal/blur the focused image.

const ACTIVE_MS = 5 * 60 * 1000; // the page counts as in use this long after the last input
let lastActive = Date.now();
let extending = false;
let handedBack = false; // a decision or "next" already gave the claim back: no beacon needed

const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

function typingIn(el) {
  return !!el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
}

// --- help ------------------------------------------------------------------------------

function toggleHelp() {
  const dialog = $("[data-shortcut-help]");
  if (!dialog) return false;
  if (dialog.open) dialog.close();
  else dialog.showModal();
  return true;
}

// --- decisions ---------------------------------------------------------------------------

const decisionForm = () => $("[data-decision-form]");

function hint(form, text) {
  const box = $("[data-key-hint]", form);
  if (box) box.textContent = text;
}

// A reason that needs a note ("Other") opens the note and makes it required, so the browser
// asks for it before anything is sent.
function syncNote(form) {
  const needed = (form.dataset.noteRequired || "").split(" ").includes(form.elements.reason_code.value);
  form.elements.note.required = needed;
  if (needed) $("[data-note-box]", form).open = true;
}

function chooseReason(n) {
  const form = decisionForm();
  const select = form && form.elements.reason_code;
  if (!select || n >= select.options.length) return false;
  select.selectedIndex = n; // option 0 is "Choose a reason…"
  syncNote(form);
  hint(form, "Reason: " + select.options[n].text);
  return true;
}

function decide(decision) {
  const form = decisionForm();
  const button = form && $(`button[value="${decision}"]`, form);
  if (!button) return false;
  if (!form.elements.reason_code.value) {
    hint(form, "Choose a reason first: press 1–9.");
    return true;
  }
  button.click();
  return true;
}

function escalate() {
  const form = decisionForm();
  if (!form || !$('button[value="escalate"]', form)) return false;
  if (form.dataset.armed === "escalate") return decide("escalate");
  form.dataset.armed = "escalate";
  $("[data-note-box]", form).open = true;
  form.elements.note.focus();
  hint(form, "Escalating: say why, then Ctrl+Enter (Escape leaves the note; 1–9 picks the reason; e sends).");
  return true;
}

function sendFromNote(event) {
  const form = decisionForm();
  if (!form || event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
  if (event.target !== form.elements.note || !form.dataset.armed) return;
  event.preventDefault();
  event.target.blur();
  decide(form.dataset.armed);
}

// --- moving through the queue ----------------------------------------------------------

function next() {
  const form = $("[data-key-next]");
  if (!form) return false;
  form.requestSubmit();
  return true;
}

function follow(rel) {
  const link = $(`.item-nav a[rel="${rel}"]`);
  if (link) {
    window.location.assign(link.href);
    return true;
  }
  return moveInList(rel === "next" ? 1 : -1);
}

function moveInList(step) {
  const links = $$("#item-list tbody a[data-row-link]");
  if (!links.length) return false;
  const at = links.indexOf(document.activeElement);
  const to = at < 0 ? 0 : Math.min(links.length - 1, Math.max(0, at + step));
  links[to].focus();
  return true;
}

// r reveals (or blurs again) the image that has the focus, else the page's first, and focuses
// it, so Tab walks a video's keyframe strip: Tab on, r again. Never every image at once: they
// are revealed one at a time (static/js/reveal.js), each reveal a recorded exposure.
function reveal() {
  const focused = document.activeElement && document.activeElement.closest("[data-review-image]");
  const toggle = $("[data-reveal-toggle]", focused || document);
  if (!toggle) return false;
  toggle.focus({ preventScroll: true }); // a scroll could move the image from under the pointer
  toggle.click();
  return true;
}

const KEYS = {
  "?": toggleHelp,
  n: next,
  j: () => follow("next"),
  k: () => follow("prev"),
  c: () => decide("confirm"),
  d: () => decide("dismiss"),
  e: escalate,
  r: reveal,
};

function onKey(event) {
  lastActive = Date.now();
  if (event.ctrlKey || event.metaKey || event.altKey) {
    sendFromNote(event);
    return;
  }
  if (event.defaultPrevented || event.isComposing) return;
  if (typingIn(event.target)) {
    if (event.key === "Escape") event.target.blur();
    return;
  }
  const help = $("[data-shortcut-help]");
  if (help && help.open && event.key !== "?") return;
  const action = /^[1-9]$/.test(event.key) ? () => chooseReason(Number(event.key)) : KEYS[event.key];
  if (action && action()) event.preventDefault();
}

// --- the claim lease: countdown, extended while in use, released on leaving ---------------

function countdown(seconds) {
  if (seconds <= 0) return "no time: it lapsed";
  const s = seconds % 60;
  return `${Math.floor(seconds / 60)}:${s < 10 ? "0" : ""}${s}`;
}

function claimTick() {
  const time = $("[data-expires-at]");
  if (!time) return;
  const left = Math.round((Date.parse(time.dataset.expiresAt) - Date.now()) / 1000);
  time.textContent = countdown(left);
  const lease = Number(time.dataset.claimSeconds) || 900;
  const inUse = document.visibilityState === "visible" && Date.now() - lastActive < ACTIVE_MS;
  const form = $("[data-claim-extend]");
  if (inUse && left < lease / 3 && form && window.htmx && !extending) {
    extending = true;
    form.requestSubmit(); // htmx swaps #claim with the renewed lease
  }
}

function releaseOnLeave() {
  const form = $("[data-claim-release]");
  if (!form || handedBack || !navigator.sendBeacon) return;
  const data = new FormData(form); // carries the CSRF token
  data.append("beacon", "1");
  navigator.sendBeacon(form.action, data);
}

const markActive = () => {
  lastActive = Date.now();
};

document.addEventListener("keydown", onKey);
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-help-toggle]")) toggleHelp();
});
document.addEventListener("change", (event) => {
  const form = decisionForm();
  if (form && event.target === form.elements.reason_code) syncNote(form);
});
for (const name of ["pointerdown", "pointermove", "wheel", "focusin"]) {
  document.addEventListener(name, markActive, { passive: true });
}
document.addEventListener("htmx:afterRequest", (event) => {
  extending = false;
  const xhr = event.detail.xhr;
  if (xhr && xhr.getResponseHeader("HX-Redirect")) handedBack = true; // decided, off to the next
});
document.addEventListener("htmx:afterSettle", () => {
  const form = decisionForm(); // a swapped-in decision panel
  if (form) syncNote(form);
});
document.addEventListener("submit", (event) => {
  if (event.target.matches("[data-key-next]")) handedBack = true; // "next" releases this one itself
});
window.addEventListener("pagehide", releaseOnLeave);
window.addEventListener("pageshow", (event) => {
  // Back from the page cache: the claim was released on leaving, so show the truth.
  if (event.persisted && $("[data-claim-release]")) window.location.reload();
});
window.setInterval(claimTick, 1000);
// A module runs once the document is parsed: the page's controls are all there.
for (const button of $$("[data-help-toggle]")) button.hidden = false;
if (decisionForm()) syncNote(decisionForm());
claimTick();
document.documentElement.dataset.keys = "on"; // shortcuts are listening (tests wait for this)
