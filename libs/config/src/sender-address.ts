/** The address of a sender, bare (`noreply@evently.com`) or after a display name (`Evently <noreply@evently.com>`). */
export function senderAddress(from: string): string {
  return (/<([^<>]*)>\s*$/.exec(from)?.[1] ?? from).trim();
}
