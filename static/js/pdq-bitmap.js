// PDQ of a decoded picture (an ImageBitmap, or a VideoFrame at its display size): used by the
// page and by the vPDQ worker alike, so it touches neither the document nor window.

import { lumaFromRGBA, pdqFromLuma } from "./pdq.js";

const STRIP_PIXELS = 4 * 1024 * 1024; // pixels read from the canvas at a time

// Transparent pixels are composited onto black (an opaque canvas), as matching.pdq does on
// the server. Returns {hashValue, quality}.
export function pdqOfBitmap(bitmap) {
  const width = bitmap.displayWidth ?? bitmap.width;
  const height = bitmap.displayHeight ?? bitmap.height;
  const luma = new Float32Array(width * height);
  const rowsPerStrip = Math.max(1, Math.floor(STRIP_PIXELS / width));
  const context = stripContext(width, Math.min(rowsPerStrip, height));
  for (let top = 0; top < height; top += rowsPerStrip) {
    const rows = Math.min(rowsPerStrip, height - top);
    context.fillStyle = "#000";
    context.fillRect(0, 0, width, rows);
    context.drawImage(bitmap, 0, top, width, rows, 0, 0, width, rows);
    lumaFromRGBA(context.getImageData(0, 0, width, rows).data, luma, top * width);
  }
  return pdqFromLuma(luma, height, width);
}

function stripContext(width, height) {
  const canvas = typeof OffscreenCanvas === "function"
    ? new OffscreenCanvas(width, height)
    : Object.assign(document.createElement("canvas"), { width, height });
  return canvas.getContext("2d", { alpha: false, willReadFrequently: true });
}
