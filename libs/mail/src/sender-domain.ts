import { senderAddress } from '@evently/config';

/** The domain of `DEFAULT_FROM_EMAIL`, bare (`noreply@evently.com`) or with a display name (`Evently <noreply@evently.com>`). */
export function senderDomain(from: string): string {
  const address = senderAddress(from);
  return address.slice(address.lastIndexOf('@') + 1);
}
