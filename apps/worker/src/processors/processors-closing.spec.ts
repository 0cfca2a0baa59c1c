import { ProcessorsClosing } from './processors-closing';

describe('ProcessorsClosing', () => {
  it("closes every worker at the first processor's turn, and resolves once the slowest has finished", async () => {
    const closing = new ProcessorsClosing();
    const calls: string[] = [];
    let finishMail!: () => void;
    closing.register({ close: () => new Promise<void>((resolve) => (calls.push('mail'), (finishMail = resolve))) });
    closing.register({ close: async () => void calls.push('bookings') });

    let closed = false;
    const first = closing.closeAll().then(() => (closed = true));
    expect(calls).toEqual(['mail', 'bookings']);
    // A turn of the event loop: time enough for the quick worker's close, and what follows it, to settle.
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(false);

    expect(closing.closeAll()).toBe(closing.closeAll());
    finishMail();
    await first;
    expect(calls).toEqual(['mail', 'bookings']);
  });
});
