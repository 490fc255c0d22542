// The real socket.io-client 4.x over HTTPS and WSS (a self-signed
// certificate, accepted on purpose): asks "ping" with an ack and prints the
// answer and the transport it came over.
// Usage: node tls_client.js <transports, comma-separated> <url>
"use strict";
const { io } = require("socket.io-client");
const clients = require("./clients");
const [transportList, url] = process.argv.slice(2);
const seen = { answer: null, transport: null };
setTimeout(() => clients.finish(seen, 1), 10000);

const socket = io(url, { transports: transportList.split(","), rejectUnauthorized: false });
socket.on("connect", () => {
  const ask = () =>
    socket.emit("ping", (answer) => {
      seen.answer = answer;
      seen.transport = socket.io.engine.transport.name;
      clients.finish(seen, 0);
    });
  // Over polling then WebSocket, ask once the upgrade is done.
  if (transportList.includes("websocket") && socket.io.engine.transport.name === "polling") {
    socket.io.engine.once("upgrade", ask);
  } else {
    ask();
  }
});
