/** Tells the parent (`npm start`'s supervisor) that this process is ready; a no-op when run on its own. */
export function reportReady(): void {
  process.send?.({ ready: true });
}
