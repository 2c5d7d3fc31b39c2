/**
 * The webhook receiver of `npm run bench`, in its own process so that it neither shares an event
 * loop with the load generator nor flatters the gateway. It answers 200 at once, except while
 * holding (started with --hold): then it keeps every request open until the parent sends
 * 'release', so the gateway's outbox can be filled before the drain is timed.
 */
import { createServer, type ServerResponse } from 'node:http';

let holding = process.argv.includes('--hold');
const held: ServerResponse[] = [];
let count = 0;
let last = 0;

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    count++;
    last = Date.now();
    if (holding) held.push(res);
    else res.end('ok');
  });
});
// Longer than the gateway's idle sockets live, so reconnects are the gateway's choice, not ours.
server.keepAliveTimeout = 60_000;

process.on('message', (m) => {
  if (m === 'release') {
    holding = false;
    for (const res of held.splice(0)) res.end('ok');
  }
  if (m === 'stats') process.send!({ count, last });
});
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`RECEIVER http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/hook\n`);
});
