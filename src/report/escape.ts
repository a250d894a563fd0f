/** Escape text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * Make JavaScript safe to inline in a <script> element. The HTML parser ends a script at the
 * first `</script` whatever the JavaScript meant, and `<!--` can switch it into a mode where
 * `<script` nests. Inside strings, regexes and templates `<\/` reads the same as `</`, and `\x3C!--`
 * as `<!--` in strings (the only place either can legally appear in minified library code).
 */
export function escapeInlineScript(code: string): string {
  return code.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '\\x3C!--');
}

/**
 * JSON for an inline <script type="application/json">: `<`, `>` and `&` become \u escapes, which
 * JSON.parse reads back unchanged, so no string in the data can close the element.
 * U+2028/2029 are escaped too, for readers that still treat them as line breaks.
 */
export function jsonForScript(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
