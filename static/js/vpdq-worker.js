// The vPDQ worker: PDQ of each video frame the page sends (a VideoFrame, transferred), off
// the page's thread so the page stays responsive. Answers in the order it was asked.

import { pdqOfBitmap } from "./pdq-bitmap.js";

self.addEventListener("message", ({ data: { id, frame } }) => {
  try {
    self.postMessage({ id, ...pdqOfBitmap(frame) });
  } catch (error) {
    self.postMessage({ id, error: String(error) });
  } finally {
    frame.close();
  }
});
