const startedAt = Date.now();

/** One timestamped progress line on stdout. */
export function progress(message) {
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1).padStart(6);
  console.log(`[${seconds}s] ${message}`);
}

export function elapsedSeconds() {
  return (Date.now() - startedAt) / 1000;
}
