// The browser hasher: a file on this device in, {signalType, hashValue, quality} out.
// Images get a PDQ hash of their full decoded pixels; videos the MD5 of their bytes.
// Nothing here makes a network request: the file never leaves the device.

import { gettext } from "./i18n.js";
import { pdqOfBitmap } from "./pdq-bitmap.js";

const MD5_CHUNK_BYTES = 2 * 1024 * 1024;
const VIDEO_EXTENSIONS = /\.(mp4|m4v|mov|webm|mkv|avi|wmv|mpe?g|3gp|3g2|ogv|ts|flv)$/i;
const IMAGE_EXTENSIONS = /\.(jpe?g|png|gif|webp|bmp|avif|heic|heif|tiff?)$/i;
const HEIC = /\.(heic|heif)$/i;

export class UnsupportedFile extends Error {}

export function fileKind(file) {
  if (file.type.startsWith("video/") || (!file.type && VIDEO_EXTENSIONS.test(file.name))) return "video";
  if (file.type === "image/svg+xml") return null; // a drawing, not a photo: no pixels of its own
  if (file.type.startsWith("image/") || (!file.type && IMAGE_EXTENSIONS.test(file.name))) return "image";
  return null;
}

// Decode upright, as Pillow's ImageOps.exif_transpose does; no colour management (Pillow
// applies none either) and no premultiplication before our own compositing.
export async function decodeImage(file) {
  try {
    return await createImageBitmap(file, {
      imageOrientation: "from-image",
      colorSpaceConversion: "none",
      premultiplyAlpha: "none",
    });
  } catch {
    if (HEIC.test(file.name) || /^image\/hei[cf]/.test(file.type)) {
      throw new UnsupportedFile(gettext("This browser cannot open HEIC photos. Open this page in Safari, or save the photo as JPEG first."));
    }
    throw new UnsupportedFile(gettext("This browser cannot open this image. Try saving it as JPEG or PNG first."));
  }
}

// PDQ of a decoded image.
export function hashBitmap(bitmap) {
  return { signalType: "ImagePDQ", ...pdqOfBitmap(bitmap) };
}

// MD5 of the file's bytes, read a chunk at a time. onProgress(fraction) after each chunk.
export async function md5File(file, onProgress = () => {}) {
  const spark = new globalThis.SparkMD5.ArrayBuffer();
  for (let start = 0; start < file.size; start += MD5_CHUNK_BYTES) {
    spark.append(await file.slice(start, start + MD5_CHUNK_BYTES).arrayBuffer());
    onProgress(Math.min(file.size, start + MD5_CHUNK_BYTES) / file.size);
  }
  return spark.end();
}

export async function hashFile(file, { onProgress } = {}) {
  const kind = fileKind(file);
  if (kind === "video") {
    return { signalType: "VideoMD5", hashValue: await md5File(file, onProgress), quality: null };
  }
  if (kind !== "image") throw new UnsupportedFile(gettext("Only images and videos can be protected."));
  const bitmap = await decodeImage(file);
  try {
    return hashBitmap(bitmap);
  } finally {
    bitmap.close();
  }
}

window.NCIIHasher = { hashFile };
