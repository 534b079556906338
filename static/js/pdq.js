// PDQ, Meta's perceptual image hash, written from the published algorithm
// ("The TMK+PDQF Video-Hashing Algorithm and the PDQ Image Similarity Algorithm", 2017)
// and the reference C++ (facebook/ThreatExchange pdq/cpp: hashing/pdqhashing.cpp,
// downscaling/downscaling.cpp). Pure: pixels in, {hashValue, quality} out.
//
// Every step does its arithmetic in float32 (Math.fround, Float32Array stores) in the
// reference's order, so on the same pixels the hash agrees with `pdqhash` bit for bit.

const f32 = Math.fround;
const SIZE = 64; // the downsampled image is 64x64
const MIN_HASHABLE_DIM = 5; // smaller images hash to all zeros, quality 0
const JAROSZ_PASSES = 2; // two box-filter passes each way approximate a tent filter

// Rows 1..16 of the 64-point DCT-II matrix (row 0, the DC term, is skipped):
// sqrt(2/64) * cos(pi / 128 * (i + 1) * (2j + 1)), stored as float32.
const DCT = (() => {
  const scale = f32(Math.sqrt(2 / SIZE));
  const matrix = new Float32Array(16 * SIZE);
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < SIZE; j++) {
      matrix[i * SIZE + j] = scale * Math.cos((Math.PI / 2 / SIZE) * (i + 1) * (2 * j + 1));
    }
  }
  return matrix;
})();

// Luminance of RGBA pixels (rows of `width`, starting at pixel `offset` of `luma`).
// pdqhash computes 0.299 R + 0.587 G + 0.114 B in float64, then stores float32.
export function lumaFromRGBA(rgba, luma, offset) {
  for (let p = 0, i = 0; i < rgba.length; p++, i += 4) {
    luma[offset + p] = rgba[i] * 0.299 + rgba[i + 1] * 0.587 + rgba[i + 2] * 0.114;
  }
}

// The hash of a luminance image (Float32Array, rows x cols, row-major). `luma` is
// overwritten: the reference filters in place.
export function pdqFromLuma(luma, rows, cols) {
  if (rows < MIN_HASHABLE_DIM || cols < MIN_HASHABLE_DIM) {
    return { hashValue: "0".repeat(64), quality: 0 };
  }
  const small = downsample(luma, rows, cols);
  const quality = qualityMetric(small);
  const coefficients = dct64To16(small);
  return { hashValue: bitsToHex(coefficients), quality };
}

// Blur with the Jarosz filter, then take the pixel at the centre of each of 64x64 cells.
// A 64x64 input is used as it is. The last vertical pass runs only down the 64 columns
// that are sampled: each column is filtered on its own, so this changes no value.
function downsample(luma, rows, cols) {
  if (rows === SIZE && cols === SIZE) {
    return Float32Array.from(luma);
  }
  const scratch = new Float32Array(rows * cols);
  const windowAlongRows = jaroszWindow(cols);
  const windowAlongCols = jaroszWindow(rows);
  const everyColumn = Int32Array.from({ length: cols }, (_, j) => j);
  const sampledColumns = Int32Array.from({ length: SIZE }, (_, j) => centre(j, cols));
  const sampled = new Float32Array(rows * SIZE);
  for (let pass = 1; pass <= JAROSZ_PASSES; pass++) {
    boxAlongRows(luma, scratch, rows, cols, windowAlongRows);
    if (pass < JAROSZ_PASSES) boxAlongCols(scratch, luma, rows, cols, windowAlongCols, everyColumn);
    else boxAlongCols(scratch, sampled, rows, cols, windowAlongCols, sampledColumns);
  }
  return decimateRows(sampled, rows);
}

// Half a cell per pass, rounded up: ceil(dim / 128).
function jaroszWindow(dimension) {
  return Math.floor((dimension + 2 * SIZE - 1) / (2 * SIZE));
}

// The reference's box1DFloat: a running sum, with smaller windows at either end.
function boxWindowPhases(length, window) {
  const half = Math.floor((window + 2) / 2);
  return { lead: half - 1, grow: window - half + 1, full: length - window, shrink: half - 1 };
}

function boxAlongRows(src, dst, rows, cols, window) {
  const phase = boxWindowPhases(cols, window);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let sum = 0;
    let count = 0;
    let ri = base;
    let li = base;
    let oi = base;
    for (let n = 0; n < phase.lead; n++, count++) sum = f32(sum + src[ri++]);
    for (let n = 0; n < phase.grow; n++) {
      sum = f32(sum + src[ri++]);
      count++;
      dst[oi++] = sum / count;
    }
    for (let n = 0; n < phase.full; n++) {
      sum = f32(sum + src[ri++]);
      sum = f32(sum - src[li++]);
      dst[oi++] = sum / count;
    }
    for (let n = 0; n < phase.shrink; n++) {
      sum = f32(sum - src[li++]);
      count--;
      dst[oi++] = sum / count;
    }
  }
}

// The same filter down the given columns at once, a row at a time (cache-friendly); each
// column sees exactly the reference's sequence of float32 operations. Output: rows x
// columns.length, packed.
function boxAlongCols(src, dst, rows, cols, window, columns) {
  const phase = boxWindowPhases(rows, window);
  const width = columns.length;
  const sums = new Float32Array(width);
  const add = (row) => { for (let k = 0, o = row * cols; k < width; k++) sums[k] += src[o + columns[k]]; };
  const sub = (row) => { for (let k = 0, o = row * cols; k < width; k++) sums[k] -= src[o + columns[k]]; };
  const write = (row, count) => { for (let k = 0, o = row * width; k < width; k++) dst[o + k] = sums[k] / count; };
  let count = 0;
  let ri = 0;
  let li = 0;
  let oi = 0;
  for (let n = 0; n < phase.lead; n++, count++) add(ri++);
  for (let n = 0; n < phase.grow; n++) {
    add(ri++);
    write(oi++, ++count);
  }
  for (let n = 0; n < phase.full; n++) {
    add(ri++);
    sub(li++);
    write(oi++, count);
  }
  for (let n = 0; n < phase.shrink; n++) {
    sub(li++);
    write(oi++, --count);
  }
}

// "Target centers not corners": cell (i, j) takes pixel (floor((i + .5) rows / 64),
// floor((j + .5) cols / 64)). The columns were picked by the last filter pass.
function centre(index, dimension) {
  return Math.floor(((index + 0.5) * dimension) / SIZE);
}

function decimateRows(sampled, rows) {
  const out = new Float32Array(SIZE * SIZE);
  for (let i = 0; i < SIZE; i++) {
    out.set(sampled.subarray(centre(i, rows) * SIZE, centre(i, rows) * SIZE + SIZE), i * SIZE);
  }
  return out;
}

// Sum of quantised gradients between neighbours of the 64x64 image, / 90, at most 100.
function qualityMetric(a) {
  let gradientSum = 0;
  const step = (u, v) => Math.abs(Math.trunc(f32(f32(f32(u - v) * 100) / 255)));
  for (let i = 0; i < SIZE - 1; i++) {
    for (let j = 0; j < SIZE; j++) gradientSum += step(a[i * SIZE + j], a[(i + 1) * SIZE + j]);
  }
  for (let i = 0; i < SIZE; i++) {
    for (let j = 0; j < SIZE - 1; j++) gradientSum += step(a[i * SIZE + j], a[i * SIZE + j + 1]);
  }
  return Math.min(100, Math.floor(gradientSum / 90));
}

// B = D A D^T, keeping frequencies 1..16 in each direction (T = D A first).
function dct64To16(a) {
  const t = new Float32Array(16 * SIZE);
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < SIZE; j++) {
      let sum = 0;
      for (let k = 0; k < SIZE; k++) sum = f32(sum + f32(DCT[i * SIZE + k] * a[k * SIZE + j]));
      t[i * SIZE + j] = sum;
    }
  }
  const b = new Float32Array(256);
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 16; j++) {
      let sum = 0;
      for (let k = 0; k < SIZE; k++) sum = f32(sum + f32(t[i * SIZE + k] * DCT[j * SIZE + k]));
      b[i * 16 + j] = sum;
    }
  }
  return b;
}

// Bit k = 16 i + j is set when coefficient (i, j) is above the median (the reference's
// Torben median of 256 values is the 128th smallest). The hex is the 256-bit number, as
// Meta's Hash256 prints it: word 15 first, each word of 16 bits as 4 hex digits.
function bitsToHex(coefficients) {
  const median = Float32Array.from(coefficients).sort()[127];
  let hex = "";
  for (let word = 15; word >= 0; word--) {
    let value = 0;
    for (let bit = 0; bit < 16; bit++) {
      if (coefficients[word * 16 + bit] > median) value |= 1 << bit;
    }
    hex += value.toString(16).padStart(4, "0");
  }
  return hex;
}
