// The create-a-case page: hash each chosen file here, show it, then send only the hashes
// ({signalType, hashValue, quality}) and show the case number and PIN once.

import { UnsupportedFile, decodeImage, fileKind, hashBitmap, md5File } from "./hasher.js";
import { gettext, interpolate, ngettext } from "./i18n.js";
import { VideoUnplayable, vpdqFile } from "./vpdq.js";

const THUMB_PX = 96;
const form = document.getElementById("hasher");
if (form) setUp(form);

function setUp(form) {
  const page = {
    form,
    endpoint: form.dataset.endpoint,
    minQuality: Number(form.dataset.minQuality),
    maxHashes: Number(form.dataset.maxHashes),
    list: document.getElementById("file-list"),
    status: document.getElementById("hasher-status"),
    submit: document.getElementById("create-case"),
    entries: [],
    queue: Promise.resolve(),
  };
  const input = document.getElementById("files");
  const take = () => {
    for (const file of Array.from(input.files)) addFile(page, file);
    input.value = ""; // the files are ours now; choosing the same one again adds it again
  };
  input.addEventListener("change", take);
  take(); // files chosen before this script ran (or restored by the browser)
  document.getElementById("show-previews").addEventListener("change", (event) => {
    page.list.classList.toggle("previews-blurred", !event.target.checked);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    createCase(page);
  });
  form.dataset.ready = "true";
}

// --- one file ---------------------------------------------------------------------------------

function addFile(page, file) {
  const item = document.getElementById("file-item").content.firstElementChild.cloneNode(true);
  const entry = { file, item, kind: fileKind(file), state: "hashing", hash: null, extra: [], note: "" };
  item.querySelector(".file-name").textContent = file.name || gettext("(no name)");
  const remove = item.querySelector(".file-remove");
  remove.setAttribute("aria-label", interpolate(gettext("Remove %(name)s"), { name: file.name }));
  remove.addEventListener("click", () => removeEntry(page, entry));
  item.querySelector(".file-progress").setAttribute("aria-label",
    interpolate(gettext("Progress of %(name)s"), { name: file.name }));
  item.querySelector(".file-cancel").setAttribute("aria-label",
    interpolate(gettext("Stop fingerprinting the frames of %(name)s"), { name: file.name }));
  page.list.append(item);
  page.entries.push(entry);
  show(entry, "hashing", gettext("Waiting…"));
  page.queue = page.queue.then(() => hashEntry(page, entry));
  refresh(page);
}

async function hashEntry(page, entry) {
  if (entry.state === "removed") return;
  show(entry, "hashing", gettext("Making the fingerprint on this device…"));
  try {
    if (entry.file.size === 0) throw new UnsupportedFile(gettext("This file is empty."));
    entry.hash = entry.kind === "video" ? await hashVideo(entry) : await hashImage(entry);
    classify(page, entry);
  } catch (error) {
    const message = error instanceof UnsupportedFile ? error.message : gettext("This file could not be read.");
    show(entry, "failed", message);
    if (!(error instanceof UnsupportedFile)) console.error(error);
  }
  refresh(page);
}

async function hashImage(entry) {
  if (entry.kind !== "image") throw new UnsupportedFile(gettext("Only images and videos can be protected."));
  const bitmap = await decodeImage(entry.file);
  try {
    drawThumbnail(entry.item.querySelector(".thumb"), bitmap);
    await nextFrame(); // let the page paint before the (blocking) hash of a large image
    return hashBitmap(bitmap);
  } catch (error) {
    if (error instanceof RangeError) {
      throw new UnsupportedFile(gettext("This image is too large to hash on this device."));
    }
    throw error;
  } finally {
    bitmap.close();
  }
}

// A video: the MD5 of its bytes (exact copies), then its vPDQ (frames once a second, for
// re-encoded copies). A video this browser cannot play, or whose frames the person chose not to
// wait for, is protected by its MD5 only, and the page says so.
async function hashVideo(entry) {
  const bar = entry.item.querySelector(".file-progress");
  entry.item.querySelector(".thumb").textContent = gettext("Video");
  bar.hidden = false;
  const md5 = await md5File(entry.file, (fraction) => {
    bar.value = fraction;
    showProgress(entry, gettext("Making the fingerprint on this device… %(progress)s"), fraction);
  });
  const hash = { signalType: "VideoMD5", hashValue: md5, quality: null };
  const cancel = entry.item.querySelector(".file-cancel");
  const stop = new AbortController();
  entry.stop = stop; // removing the file stops its frames too
  const onCancel = () => stop.abort();
  cancel.addEventListener("click", onCancel);
  cancel.hidden = false;
  bar.value = 0;
  showProgress(entry, gettext("Fingerprinting the video’s frames… %(progress)s"), 0);
  try {
    const frames = await vpdqFile(entry.file, {
      signal: stop.signal,
      onProgress: (fraction) => {
        bar.value = fraction;
        showProgress(entry, gettext("Fingerprinting the video’s frames… %(progress)s"), fraction);
      },
    });
    entry.extra = [{ signalType: "VideoPDQ", hashValue: frames, quality: null }];
  } catch (error) {
    if (error instanceof VideoUnplayable) {
      entry.note = gettext("This browser cannot play this video, so only exact copies of it will be found.");
    } else if (stop.signal.aborted) {
      entry.note = gettext("Frames not fingerprinted: only exact copies of this video will be found.");
    } else {
      throw error;
    }
  } finally {
    cancel.removeEventListener("click", onCancel);
    cancel.hidden = true;
    bar.hidden = true;
  }
  return hash;
}

function showProgress(entry, message, fraction) {
  const progress = new Intl.NumberFormat(document.documentElement.lang, { style: "percent" })
    .format(Math.floor(fraction * 100) / 100);
  show(entry, "hashing", interpolate(message, { progress }));
}

function classify(page, entry) {
  const { signalType, hashValue, quality } = entry.hash;
  const item = entry.item;
  item.dataset.signalType = signalType;
  item.dataset.hashValue = hashValue;
  item.dataset.quality = quality ?? "";
  item.dataset.vpdq = entry.extra.find((hash) => hash.signalType === "VideoPDQ")?.hashValue ?? "";
  const hashLine = item.querySelector(".file-hash");
  hashLine.textContent = interpolate(gettext("Hash: %(hash)s"), { hash: hashValue });
  hashLine.hidden = false;
  const twin = page.entries.find((other) => other !== entry && other.state === "ready"
    && other.hash.hashValue === hashValue && other.hash.signalType === signalType);
  if (signalType === "ImagePDQ" && quality < page.minQuality) {
    const why = gettext("This image cannot be protected reliably: it has too little detail (quality %(quality)s of 100; at least %(minimum)s is needed). It will not be sent.");
    show(entry, "low-quality", interpolate(why, { quality, minimum: page.minQuality }));
  } else if (twin) {
    show(entry, "duplicate", interpolate(gettext("Same as “%(name)s”: it is protected once."), { name: twin.file.name }));
  } else if (signalType === "ImagePDQ") {
    show(entry, "ready", interpolate(gettext("Ready (quality %(quality)s of 100)."), { quality }));
  } else {
    show(entry, "ready", entry.note ? `${gettext("Ready.")} ${entry.note}` : gettext("Ready."));
  }
}

function removeEntry(page, entry) {
  entry.stop?.abort();
  entry.state = "removed";
  entry.item.remove();
  page.entries = page.entries.filter((other) => other !== entry);
  for (const other of page.entries) if (other.state === "duplicate") classify(page, other);
  refresh(page);
}

function show(entry, state, message) {
  if (entry.state === "removed") return;
  entry.state = state;
  entry.item.dataset.state = state;
  entry.item.querySelector(".file-status").textContent = message;
}

function drawThumbnail(holder, bitmap) {
  const scale = Math.min(1, THUMB_PX / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  holder.replaceChildren(canvas);
}

function nextFrame() {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

// --- the page -----------------------------------------------------------------------------------

function readyHashes(page) {
  return page.entries.filter((entry) => entry.state === "ready")
    .flatMap(({ hash, extra = [] }) => [hash, ...extra])
    .map(({ signalType, hashValue, quality }) => ({ signalType, hashValue, quality }));
}

function refresh(page) {
  const busy = page.entries.filter((entry) => entry.state === "hashing").length;
  const ready = readyHashes(page).length; // a video's VideoPDQ counts: the hub caps hashes per case
  const tooMany = ready > page.maxHashes;
  page.submit.disabled = busy > 0 || ready === 0 || tooMany;
  page.form.dataset.busy = busy > 0 ? "true" : "false";
  page.status.textContent = busy > 0
    ? interpolate(gettext("Making fingerprints: %(done)s of %(total)s done."),
      { done: page.entries.length - busy, total: page.entries.length })
    : tooMany ? interpolate(gettext("A case holds at most %(max)s files; remove %(extra)s."),
      { max: page.maxHashes, extra: ready - page.maxHashes })
    : interpolate(gettext("Ready to protect: %(what)s."), { what: countLabel(readyHashes(page)) });
}

// "1 image", "2 images and 1 video": as cases/wording.py words it for the other pages.
function countLabel(hashes) {
  const videos = hashes.filter((hash) => hash.signalType === "VideoMD5").length;
  const images = hashes.filter((hash) => hash.signalType === "ImagePDQ").length;
  const imagePart = interpolate(ngettext("%(count)s image", "%(count)s images", images), { count: images });
  const videoPart = interpolate(ngettext("%(count)s video", "%(count)s videos", videos), { count: videos });
  if (images && videos) return interpolate(gettext("%(images)s and %(videos)s"), { images: imagePart, videos: videoPart });
  return videos ? videoPart : imagePart;
}

async function createCase(page) {
  const hashes = readyHashes(page);
  if (page.submit.disabled || hashes.length === 0) return;
  const error = document.getElementById("submit-error");
  error.hidden = true;
  page.submit.disabled = true;
  try {
    const response = await fetch(page.endpoint, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "Accept-Language": document.documentElement.lang, // the answer's detail in the page's language
        "X-CSRFToken": page.form.querySelector("[name=csrfmiddlewaretoken]").value,
      },
      body: JSON.stringify({ hashes }),
    });
    const body = await response.json().catch(() => ({}));
    if (response.status !== 201) throw new Error(refusal(response.status, body));
    showCreated(page, body, hashes);
  } catch (failure) {
    error.textContent = failure.message || gettext("The case could not be created. Please try again.");
    error.hidden = false;
    page.submit.disabled = false;
  }
}

function refusal(status, body) {
  if (status === 429) return gettext("Too many cases were created from this connection. Please try again later.");
  if (status === 403) return gettext("You are not allowed to create cases here. Sign in again and retry.");
  if (body.detail) return interpolate(gettext("The case could not be created: %(detail)s"), { detail: body.detail });
  return gettext("The case could not be created. Please try again.");
}

function showCreated(page, body, hashes) {
  document.getElementById("case-number").textContent = body.caseNumber;
  document.getElementById("case-pin").textContent = body.pin;
  document.getElementById("created-count").textContent = interpolate(gettext("Protected: %(what)s."),
    { what: countLabel(hashes) });
  document.getElementById("hasher-step").remove(); // thumbnails and hashes with it
  page.entries = [];
  const created = document.getElementById("case-created");
  created.hidden = false;
  document.getElementById("copy-credentials").addEventListener("click", () => copyCredentials(body));
  document.getElementById("print-credentials").addEventListener("click", () => window.print());
  document.getElementById("created-heading").focus();
}

async function copyCredentials({ caseNumber, pin }) {
  const status = document.getElementById("copy-status");
  try {
    const text = interpolate(gettext("Case number: %(number)s"), { number: caseNumber }) + "\n"
      + interpolate(gettext("PIN: %(pin)s"), { pin });
    await navigator.clipboard.writeText(text);
    status.textContent = gettext("Copied. Paste them somewhere safe.");
  } catch {
    status.textContent = gettext("Copying is not allowed here; please write them down.");
  }
}
