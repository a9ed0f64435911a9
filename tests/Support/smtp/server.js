// SMTP server for the Api tests (npm smtp-server): STARTTLS offered (or, with --implicit-tls 1, TLS
// from the first byte), AUTH (LOGIN or PLAIN) only over TLS and required unless --auth-optional 1
// (then mail without AUTH is accepted too: what a careless relay does), each accepted message
// written to --dir as <n>.eml with <n>.json beside it ({ user, secure, from, to }), so a test can
// check that AUTH and TLS really happened.
// --no-auth 1: AUTH not offered at all (mail accepted without it). --socket-timeout MS: idle
// connections closed after MS. --reply-delay MS: each message is stored, then accepted MS later (a
// client that dies meanwhile leaves a stored message it never saw accepted). Each connection opened
// and closed is appended to connections.log.
// Usage: node server.js --dir DIR --user U --password P --key KEY.pem --cert CERT.pem [--implicit-tls 1] [--auth-optional 1] [--no-auth 1] [--socket-timeout MS] [--reply-delay MS]
// Prints "LISTENING <port>" once it listens on 127.0.0.1 (an ephemeral port unless --port is given).
'use strict';
const fs = require('fs');
const path = require('path');
const { SMTPServer } = require('smtp-server');

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
for (const required of ['dir', 'user', 'password', 'key', 'cert']) {
  if (!args[required]) { console.error(`missing --${required}`); process.exit(2); }
}
fs.mkdirSync(args.dir, { recursive: true });
let count = 0;

const server = new SMTPServer({
  name: 'smtp.test',
  key: fs.readFileSync(args.key),
  cert: fs.readFileSync(args.cert),
  secure: args['implicit-tls'] === '1',
  authMethods: ['LOGIN', 'PLAIN'],
  authOptional: args['auth-optional'] === '1' || args['no-auth'] === '1',
  disabledCommands: args['no-auth'] === '1' ? ['AUTH'] : [],
  socketTimeout: Number(args['socket-timeout'] || 60000),
  allowInsecureAuth: false,
  size: 1024 * 1024,
  logger: false,
  onConnect(session, callback) {
    fs.appendFileSync(path.join(args.dir, 'connections.log'), `open ${session.id}\n`);
    callback();
  },
  onClose(session) {
    fs.appendFileSync(path.join(args.dir, 'connections.log'), `close ${session.id}\n`);
  },
  onAuth(auth, session, callback) {
    if (auth.username === args.user && auth.password === args.password) return callback(null, { user: auth.username });
    fs.appendFileSync(path.join(args.dir, 'auth-failures.log'), `${auth.method} ${auth.username}\n`);
    return callback(new Error('Invalid username or password'));
  },
  onData(stream, session, callback) {
    const chunks = [];
    stream.on('data', (chunk) => chunks.push(chunk));
    stream.on('end', () => {
      const n = ++count;
      const meta = {
        user: session.user || null,
        secure: session.secure,
        from: session.envelope.mailFrom && session.envelope.mailFrom.address,
        to: session.envelope.rcptTo.map((r) => r.address),
      };
      const base = path.join(args.dir, String(n));
      fs.writeFileSync(`${base}.json.tmp`, JSON.stringify(meta));
      fs.writeFileSync(`${base}.eml.tmp`, Buffer.concat(chunks));
      fs.renameSync(`${base}.json.tmp`, `${base}.json`);
      fs.renameSync(`${base}.eml.tmp`, `${base}.eml`);
      setTimeout(callback, Number(args['reply-delay'] || 0));
    });
  },
});
server.on('error', (err) => console.error('smtp error', err.message));
server.listen(Number(args.port || 0), '127.0.0.1', () => console.log(`LISTENING ${server.server.address().port}`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
