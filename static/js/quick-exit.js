// "Exit this page", as GOV.UK's component does: the button, or Shift pressed three times in a
// row, empties this page at once (the case number and PIN go with it) and replaces it with a
// neutral site, so the browser's Back button does not come back to it.

const SHIFT_PRESSES = 3;
const PRESS_WINDOW_MS = 5000; // the three presses must come within this long

const button = document.getElementById("quick-exit");
if (button) setUp(button);

function setUp(button) {
  let presses = [];
  button.addEventListener("click", (event) => {
    event.preventDefault();
    leave(button.href);
  });
  document.addEventListener("keyup", (event) => {
    if (event.key !== "Shift") {
      presses = [];
      return;
    }
    const now = event.timeStamp;
    presses = [...presses.filter((at) => now - at < PRESS_WINDOW_MS), now];
    if (presses.length < SHIFT_PRESSES) return;
    presses = []; // one exit per three presses: a fourth press does not start a second navigation
    leave(button.href);
  });
  document.documentElement.dataset.quickExit = "on";
}

function leave(url) {
  document.title = "";
  document.body.replaceChildren(); // nothing of this page stays, even while the next one loads
  document.documentElement.dataset.quickExit = "left";
  window.location.replace(url); // replaces this page in the history: Back does not return here
}
