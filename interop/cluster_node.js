// The Node.js node of the cluster interop test: socket.io 4.8 with
// @socket.io/redis-adapter 8.3 (classic or sharded) or
// @socket.io/redis-streams-adapter 0.3.1 (the redis 4.7 client), doing what
// shared/CLUSTER_NODE.md asks of a node. Configured by PORT, REDIS_URL,
// ADAPTER (classic, sharded or streams), KEY and NODE_NAME; prints
// "listening" once it serves.
const { createServer } = require("node:http");
const { Server } = require("socket.io");
const { createClient } = require("redis");
const { createAdapter, createShardedAdapter } = require("@socket.io/redis-adapter");
const streams = require("@socket.io/redis-streams-adapter");

const { PORT, REDIS_URL, ADAPTER = "classic", KEY = "socket.io", NODE_NAME = "N" } = process.env;

// The sharded adapter subscribes to a new room's channel without waiting
// for Redis; the node waits for those subscriptions before it acks a join
// (the contract's rule 1).
const subscribing = new Set();
function trackSubscriptions(sub) {
  const sSubscribe = sub.sSubscribe.bind(sub);
  sub.sSubscribe = (...args) => {
    const made = sSubscribe(...args);
    subscribing.add(made);
    made.finally(() => subscribing.delete(made)).catch(() => {});
    return made;
  };
}
const subscribed = () => Promise.allSettled([...subscribing]);

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
    socket.on("join", async (room, ack) => {
      socket.join(room);
      await subscribed();
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
    socket.on("sockets-join", async (room, newRoom, ack) => {
      target(room).socketsJoin(newRoom);
      await subscribed();
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
  const pub = createClient({ url: REDIS_URL });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  const httpServer = createServer();
  let options;
  if (ADAPTER === "classic") {
    options = { adapter: createAdapter(pub, sub, { key: KEY }) };
  } else if (ADAPTER === "sharded") {
    trackSubscriptions(sub);
    options = { adapter: createShardedAdapter(pub, sub, { channelPrefix: KEY }) };
  } else if (ADAPTER === "streams") {
    options = {
      adapter: streams.createAdapter(pub, {
        streamName: KEY,
        channelPrefix: KEY,
        // Not in the contract: the interop test's second streams run.
        useShardedPubSub: process.env.USE_SHARDED_PUBSUB === "1",
      }),
      connectionStateRecovery: {},
    };
  } else {
    throw new Error(`ADAPTER=${ADAPTER}: not here`);
  }
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
