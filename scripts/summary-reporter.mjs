// A node:test reporter that prints one line at the end: "N passed, N failed, N skipped".
export default async function* summary(source) {
  let passed = 0, failed = 0, skipped = 0;
  const skipReasons = new Map();
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    if (event.data.details?.type === 'suite') continue;
    if (event.type === 'test:fail') { failed++; continue; }
    if (event.data.skip !== undefined || event.data.todo !== undefined) {
      skipped++;
      const why = typeof event.data.skip === 'string' ? event.data.skip : 'skipped';
      skipReasons.set(why, (skipReasons.get(why) ?? 0) + 1);
    } else passed++;
  }
  for (const [why, n] of skipReasons) yield `skipped ${n}: ${why}\n`;
  yield `\n${passed} passed, ${failed} failed, ${skipped} skipped\n`;
}
