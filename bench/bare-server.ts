/** The ceiling for `npm run bench`: Fastify with one JSON route and nothing else. */
import Fastify from 'fastify';

const app = Fastify();
app.post('/echo', async (req) => ({ id: 'x', object: 'echo', received: req.body }));
await app.listen({ port: 0, host: '127.0.0.1' });
const addr = app.server.address();
process.stdout.write(`BARE http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}\n`);
