/** Whether `text` survives `decodeURIComponent` (no lone `%`, no escape that is not UTF-8). */
export function decodesAsUriComponent(text: string): boolean {
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}
