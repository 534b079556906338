// The page's language for scripts: Django's JavaScriptCatalog (loaded before the modules, with
// the page's nonce) defines gettext, ngettext and interpolate; without it, English.

const catalog = globalThis.django || {};

export function gettext(message) {
  return catalog.gettext ? catalog.gettext(message) : message;
}

export function ngettext(singular, plural, count) {
  if (catalog.ngettext) return catalog.ngettext(singular, plural, count);
  return count === 1 ? singular : plural;
}

// interpolate("%(name)s…", {name}): named placeholders, as Django's own interpolate.
export function interpolate(format, values) {
  return format.replace(/%\((\w+)\)s/g, (_, name) => String(values[name]));
}
