/**
 * Whether `YYYY-MM-DD` and `HH:MM:SS` name a wall-clock time that exists. JavaScript's Date rolls
 * impossible fields over (02-30 to 03-02, 24:00:00 to the next day); Go's time.Parse (notary, notation),
 * python's strptime (python-tuf, in-toto) refuse them, so a signed time read here must read back with
 * the very fields that were written.
 */
export function wallClockExists(date: string, time: string): boolean {
  const written = `${date}T${time}`;
  const read = new Date(`${written}Z`);
  return !Number.isNaN(read.getTime()) && read.toISOString().slice(0, 19) === written;
}
