/* Keyboard-first reviewing and the claim lease on the moderation pages.
 * Every control this drives is a real link, button or form that works without it; keys are
 * ignored while typing in a field (Escape leaves the field) and with Ctrl, Alt or Meta held.
 * Keys: ? help, n next item, j/k next/previous, 1-9 reason, c confirm, d dismiss,
 * e escalate (opens the note; Ctrl+Enter there or e again sends it), r reveal/blur.
 */
(function () {
  "use strict";

  var ACTIVE_MS = 5 * 60 * 1000; // the page counts as in use this long after the last input
  var lastActive = Date.now();
  var extending = false;
  var handedBack = false; // a decision or "next" already gave the claim back: no beacon needed

  function $(selector, root) { return (root || document).querySelector(selector); }
  function $$(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }

  function typingIn(el) {
    return !!el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  // --- help ------------------------------------------------------------------------------

  function toggleHelp() {
    var dialog = $("[data-shortcut-help]");
    if (!dialog) { return false; }
    if (dialog.open) { dialog.close(); } else { dialog.showModal(); }
    return true;
  }

  // --- decisions ---------------------------------------------------------------------------

  function decisionForm() { return $("[data-decision-form]"); }

  function hint(form, text) {
    var box = $("[data-key-hint]", form);
    if (box) { box.textContent = text; }
  }

  function chooseReason(n) {
    var form = decisionForm();
    var select = form && form.elements.reason_code;
    if (!select || n >= select.options.length) { return false; }
    select.selectedIndex = n; // option 0 is "Choose a reason…"
    hint(form, "Reason: " + select.options[n].text);
    return true;
  }

  function decide(decision) {
    var form = decisionForm();
    var button = form && $('button[value="' + decision + '"]', form);
    if (!button) { return false; }
    if (!form.elements.reason_code.value) {
      hint(form, "Choose a reason first: press 1–9.");
      return true;
    }
    button.click();
    return true;
  }

  function escalate() {
    var form = decisionForm();
    if (!form || !$('button[value="escalate"]', form)) { return false; }
    if (form.dataset.armed === "escalate") { return decide("escalate"); }
    form.dataset.armed = "escalate";
    $("[data-note-box]", form).open = true;
    form.elements.note.focus();
    hint(form, "Escalating: say why, then Ctrl+Enter (Escape leaves the note; 1–9 picks the reason; e sends).");
    return true;
  }

  function sendFromNote(event) {
    var form = decisionForm();
    if (!form || event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) { return; }
    if (event.target !== form.elements.note || !form.dataset.armed) { return; }
    event.preventDefault();
    event.target.blur();
    decide(form.dataset.armed);
  }

  // --- moving through the queue ----------------------------------------------------------

  function next() {
    var form = $("[data-key-next]");
    if (!form) { return false; }
    form.requestSubmit();
    return true;
  }

  function follow(rel) {
    var link = $('.item-nav a[rel="' + rel + '"]');
    if (link) { window.location.assign(link.href); return true; }
    return moveInList(rel === "next" ? 1 : -1);
  }

  function moveInList(step) {
    var links = $$("#item-list tbody a[data-row-link]");
    if (!links.length) { return false; }
    var at = links.indexOf(document.activeElement);
    var to = at < 0 ? 0 : Math.min(links.length - 1, Math.max(0, at + step));
    links[to].focus();
    return true;
  }

  function reveal() {
    var toggle = $("[data-reveal-toggle]");
    if (!toggle) { return false; }
    toggle.click();
    return true;
  }

  var KEYS = {
    "?": toggleHelp,
    n: next,
    j: function () { return follow("next"); },
    k: function () { return follow("prev"); },
    c: function () { return decide("confirm"); },
    d: function () { return decide("dismiss"); },
    e: escalate,
    r: reveal
  };

  function onKey(event) {
    lastActive = Date.now();
    if (event.ctrlKey || event.metaKey || event.altKey) { sendFromNote(event); return; }
    if (event.defaultPrevented || event.isComposing) { return; }
    if (typingIn(event.target)) {
      if (event.key === "Escape") { event.target.blur(); }
      return;
    }
    var help = $("[data-shortcut-help]");
    if (help && help.open && event.key !== "?") { return; }
    var action = /^[1-9]$/.test(event.key) ? function () { return chooseReason(Number(event.key)); } : KEYS[event.key];
    if (action && action()) { event.preventDefault(); }
  }

  // --- the claim lease: countdown, extended while in use, released on leaving ---------------

  function countdown(seconds) {
    if (seconds <= 0) { return "no time: it lapsed"; }
    var s = seconds % 60;
    return Math.floor(seconds / 60) + ":" + (s < 10 ? "0" : "") + s;
  }

  function claimTick() {
    var time = $("[data-expires-at]");
    if (!time) { return; }
    var left = Math.round((Date.parse(time.dataset.expiresAt) - Date.now()) / 1000);
    time.textContent = countdown(left);
    var lease = Number(time.dataset.claimSeconds) || 900;
    var inUse = document.visibilityState === "visible" && Date.now() - lastActive < ACTIVE_MS;
    var form = $("[data-claim-extend]");
    if (inUse && left < lease / 3 && form && window.htmx && !extending) {
      extending = true;
      form.requestSubmit(); // htmx swaps #claim with the renewed lease
    }
  }

  function releaseOnLeave() {
    var form = $("[data-claim-release]");
    if (!form || handedBack || !navigator.sendBeacon) { return; }
    var data = new FormData(form); // carries the CSRF token
    data.append("beacon", "1");
    navigator.sendBeacon(form.action, data);
  }

  function markActive() { lastActive = Date.now(); }

  document.addEventListener("keydown", onKey);
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-help-toggle]")) { toggleHelp(); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    $$("[data-help-toggle]").forEach(function (button) { button.hidden = false; });
  });
  ["pointerdown", "pointermove", "wheel", "focusin"].forEach(function (name) {
    document.addEventListener(name, markActive, { passive: true });
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    extending = false;
    var xhr = event.detail.xhr;
    if (xhr && xhr.getResponseHeader("HX-Redirect")) { handedBack = true; } // decided, off to the next
  });
  document.addEventListener("submit", function (event) {
    if (event.target.matches("[data-key-next]")) { handedBack = true; } // "next" releases this one itself
  });
  window.addEventListener("pagehide", releaseOnLeave);
  window.addEventListener("pageshow", function (event) {
    // Back from the page cache: the claim was released on leaving, so show the truth.
    if (event.persisted && $("[data-claim-release]")) { window.location.reload(); }
  });
  window.setInterval(claimTick, 1000);
  document.addEventListener("DOMContentLoaded", claimTick);
  document.documentElement.dataset.keys = "on"; // shortcuts are listening (tests wait for this)
})();
