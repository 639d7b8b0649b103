/** Baseline: a plain node:http server answering a small JSON body. */
import { createServer } from 'node:http';

const body = JSON.stringify({ data: { hello: 'world' } });
const port = Number(process.env.PORT ?? 4101);
createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}).listen(port, '127.0.0.1', () => console.log(`listening on ${port}`));
