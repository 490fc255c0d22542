// The Node.js node of the cluster interop test: socket.io 4.8 with
// @socket.io/redis-adapter 8.3 or @socket.io/redis-streams-adapter 0.3.1
// (the redis 4.7 client), doing what shared/CLUSTER_NODE.md asks of a
// node. Configured by PORT, REDIS_URL, ADAPTER (classic or streams), KEY
// and NODE_NAME; prints "listening" once it serves.
const { createServer } = require("node:http");
const { Server } = require("socket.io");
const { createClient } = require("redis");
const { createAdapter } = require("@socket.io/redis-adapter");
const streams = require("@socket.io/redis-streams-adapter");

const { PORT, REDIS_URL, ADAPTER = "classic", KEY = "socket.io", NODE_NAME = "N" } = process.env;

function lastIsCallback(args) {
  return typeof args[args.length - 1] === "function" ? args.pop() : null;
}

function serve(nsp) {
  nsp.on("ping", (from, ...args) => {
    const callback = lastIsCallback(args);
    nsp.local.emit("server-side-seen", from, ...args);
    if (callback) callback(NODE_NAME);
  });
  const target = (room) => (room == null ? nsp : nsp.in(room));
  nsp.on("connection", (socket) => {
    if (!socket.recovered) {
      socket.data = { node: NODE_NAME, name: socket.handshake.auth.name ?? null };
    }
    socket.emit("hello", NODE_NAME);
    socket.on("join", (room, ack) => {
      socket.join(room);
      ack();
    });
    socket.on("to-room", (room, ...args) => socket.to(room).emit("message-back", ...args));
    socket.on("broadcast", (...args) => nsp.emit("message-back", ...args));
    socket.on("broadcast-local", (...args) => nsp.local.emit("message-back", ...args));
    socket.on("except-room", (room, ...args) => nsp.except(room).emit("message-back", ...args));
    socket.on("fetch-sockets", async (room, ack) => {
      try {
        const sockets = await target(room).fetchSockets();
        ack(
          sockets
            .map((s) => ({ id: s.id, rooms: [...s.rooms].filter((r) => r !== s.id).sort(), data: s.data }))
            .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        );
      } catch (e) {
        ack({ error: e.message });
      }
    });
    socket.on("count", async (ack) => {
      try {
        ack((await nsp.fetchSockets()).length);
      } catch (e) {
        ack({ error: e.message });
      }
    });
    socket.on("all-rooms", async (ack) => {
      try {
        ack([...(await nsp.adapter.allRooms())].sort());
      } catch (e) {
        ack({ error: e.message });
      }
    });
    socket.on("sockets-join", (room, newRoom, ack) => {
      target(room).socketsJoin(newRoom);
      ack();
    });
    socket.on("sockets-leave", (room, oldRoom, ack) => {
      target(room).socketsLeave(oldRoom);
      ack();
    });
    socket.on("disconnect-sockets", (room, ack) => {
      target(room).disconnectSockets();
      ack();
    });
    socket.on("server-side-emit", async (...args) => {
      const ack = lastIsCallback(args);
      if (!ack) return nsp.serverSideEmit("ping", NODE_NAME, ...args);
      try {
        ack((await nsp.serverSideEmitWithAck("ping", NODE_NAME, ...args)).sort());
      } catch (e) {
        ack({ error: e.message });
      }
    });
    socket.on("broadcast-with-ack", async (...args) => {
      const ack = lastIsCallback(args);
      try {
        ack((await nsp.timeout(2000).emitWithAck("question", ...args)).sort());
      } catch (e) {
        ack({ error: e.message });
      }
    });
  });
}

async function main() {
  if (ADAPTER !== "classic" && ADAPTER !== "streams") throw new Error(`ADAPTER=${ADAPTER}: not here`);
  const pub = createClient({ url: REDIS_URL });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  const httpServer = createServer();
  const options =
    ADAPTER === "classic"
      ? { adapter: createAdapter(pub, sub, { key: KEY }) }
      : {
          adapter: streams.createAdapter(pub, { streamName: KEY, channelPrefix: KEY }),
          connectionStateRecovery: {},
        };
  const io = new Server(httpServer, options);
  for (const name of ["/", "/custom"]) serve(io.of(name));
  httpServer.listen(Number(PORT), "127.0.0.1", () => console.log("listening"));
  process.on("SIGTERM", () => {
    io.close();
    pub.quit().catch(() => {});
    sub.quit().catch(() => {});
    process.exit(0);
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
