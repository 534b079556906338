// vPDQ of a video on this device, in the format of Meta's reference (python-threatexchange's
// vpdq_util): a JSON array of "<pdq hex>,<quality>,<timestamp>", one per frame sampled once a
// second. A <video> element decodes (seek, then a VideoFrame of it); a worker hashes each frame
// with pdq.js. Frames of low quality are kept: their quality is in the entry.

const SECONDS_PER_HASH = 1;
const SEEK_NUDGE = 0.001; // land inside the frame that starts at the second, not the one before
const FRAMES_IN_FLIGHT = 2;
const STALE_FRAME_RETRIES = 60; // paints to wait for the sought frame before taking what is shown // decoded frames waiting for the worker (a 1080p frame is 8 MB)

export class VideoUnplayable extends Error {}

// onProgress(fraction) after each frame; `signal` (an AbortSignal) cancels.
export async function vpdqFile(file, { onProgress = () => {}, signal } = {}) {
  const video = await openVideo(file, signal);
  const worker = new FrameHasher();
  try {
    const times = sampleTimes(video.duration);
    const features = [];
    for (const [index, seconds] of times.entries()) {
      const frame = await frameAt(video, seconds + SEEK_NUDGE, signal);
      features.push(worker.hash(frame).then(({ hashValue, quality }) => {
        onProgress((index + 1) / times.length);
        return `${hashValue},${quality},${pythonFloat3(seconds)}`;
      }));
      if (features.length > FRAMES_IN_FLIGHT) await features[features.length - 1 - FRAMES_IN_FLIGHT];
    }
    return JSON.stringify(await Promise.all(features));
  } finally {
    worker.close();
    closeVideo(video);
  }
}

// 0, 1, 2 … seconds while a frame is there: the reference hashes frames 0, fps, 2·fps …
export function sampleTimes(duration) {
  const times = [];
  for (let seconds = 0; seconds < duration - SEEK_NUDGE; seconds += SECONDS_PER_HASH) times.push(seconds);
  return times;
}

// Python's format(x, ".3"), which vpdq_util uses for timestamps: 3 significant digits,
// "1.0" (never "1"), "59.9", "1e+02" and "1.01e+02" from a hundred seconds on.
export function pythonFloat3(x) {
  if (x === 0) return "0.0";
  const exponent = Math.floor(Math.log10(Math.abs(Number(x.toPrecision(3)))));
  if (exponent < -4 || exponent >= 2) { // Python: exponent >= precision - 1
    const [mantissa, power] = x.toExponential(2).split("e");
    const trimmed = mantissa.replace(/\.?0+$/, "");
    return `${trimmed}e${power[0]}${power.slice(1).padStart(2, "0")}`;
  }
  return x.toFixed(2 - exponent).replace(/0+$/, "").replace(/\.$/, ".0");
}

async function openVideo(file, signal) {
  const video = document.createElement("video");
  video.muted = true;
  video.preload = "auto";
  const loaded = when(video, "loadeddata", signal);
  video.src = URL.createObjectURL(file);
  try {
    await loaded;
  } catch (error) {
    closeVideo(video);
    throw signal?.aborted ? error : new VideoUnplayable();
  }
  if (!video.videoWidth || !Number.isFinite(video.duration)) {
    closeVideo(video);
    throw new VideoUnplayable();
  }
  return video;
}

function closeVideo(video) {
  URL.revokeObjectURL(video.src);
  video.removeAttribute("src");
  video.load();
}

// The frame on show once the seek is done. "seeked" can come before the element shows the new
// frame: a frame from before the target is the last sample's, so wait for the next one.
async function frameAt(video, seconds, signal) {
  const seeked = when(video, "seeked", signal);
  video.currentTime = seconds;
  await seeked;
  for (let attempt = 0; ; attempt++) {
    const frame = new VideoFrame(video);
    if (frame.timestamp >= (seconds - SECONDS_PER_HASH / 2) * 1e6 || attempt === STALE_FRAME_RETRIES) return frame;
    frame.close();
    await nextPaint(signal);
  }
}

function nextPaint(signal) {
  signal?.throwIfAborted();
  return new Promise((resolve) => requestAnimationFrame(resolve));
}

// Resolves on `event`; rejects on the element's error or the signal's abort.
function when(target, event, signal) {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const done = (settle) => (value) => {
      target.removeEventListener(event, onEvent);
      target.removeEventListener("error", onError);
      signal?.removeEventListener("abort", onAbort);
      settle(value);
    };
    const onEvent = done(resolve);
    const onError = done(() => reject(new VideoUnplayable()));
    const onAbort = done(() => reject(signal.reason));
    target.addEventListener(event, onEvent);
    target.addEventListener("error", onError);
    signal?.addEventListener("abort", onAbort);
  });
}

class FrameHasher {
  constructor() {
    this.worker = new Worker(new URL("./vpdq-worker.js", import.meta.url), { type: "module" });
    this.waiting = new Map();
    this.next = 0;
    this.worker.addEventListener("message", ({ data }) => {
      const { resolve, reject } = this.waiting.get(data.id);
      this.waiting.delete(data.id);
      if (data.error) reject(new Error(data.error));
      else resolve(data);
    });
  }

  hash(frame) {
    const id = this.next++;
    const answer = new Promise((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    this.worker.postMessage({ id, frame }, [frame]);
    return answer;
  }

  close() {
    this.worker.terminate();
  }
}
