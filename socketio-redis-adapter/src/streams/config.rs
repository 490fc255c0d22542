//! The streams adapter's options.

use std::time::Duration;

/// The streams adapter's options, with Node's names and defaults.
#[derive(Debug, Clone)]
pub struct RedisStreamsAdapterConfig {
    pub(crate) stream_name: String,
    pub(crate) stream_count: u32,
    pub(crate) channel_prefix: String,
    pub(crate) max_len: u64,
    pub(crate) read_count: u64,
    pub(crate) block_time: Duration,
    pub(crate) session_key_prefix: String,
    pub(crate) only_plaintext: bool,
    pub(crate) use_sharded_pub_sub: bool,
    pub(crate) requests_timeout: Duration,
}

impl Default for RedisStreamsAdapterConfig {
    fn default() -> Self {
        Self {
            stream_name: "socket.io".into(),
            stream_count: 1,
            channel_prefix: "socket.io".into(),
            max_len: 10_000,
            read_count: 100,
            block_time: Duration::from_secs(5),
            session_key_prefix: "sio:session:".into(),
            only_plaintext: false,
            use_sharded_pub_sub: false,
            requests_timeout: Duration::from_secs(5),
        }
    }
}

impl RedisStreamsAdapterConfig {
    /// The stream's key, or the prefix of the keys with several streams
    /// (Node's `streamName`, default `socket.io`).
    pub fn stream_name(mut self, name: impl Into<String>) -> Self {
        self.stream_name = name.into();
        self
    }

    /// How many streams the namespaces are spread over (Node's
    /// `streamCount`, default 1).
    pub fn stream_count(mut self, count: u32) -> Self {
        self.stream_count = count.max(1);
        self
    }

    /// The prefix of the PUB/SUB channels (Node's `channelPrefix`, default
    /// `socket.io`).
    pub fn channel_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.channel_prefix = prefix.into();
        self
    }

    /// The stream's approximate maximum length (Node's `maxLen`, default
    /// 10 000): a client away for longer than the stream holds cannot be
    /// recovered.
    pub fn max_len(mut self, len: u64) -> Self {
        self.max_len = len;
        self
    }

    /// Entries read per XREAD (Node's `readCount`, default 100).
    pub fn read_count(mut self, count: u64) -> Self {
        self.read_count = count.max(1);
        self
    }

    /// How long an XREAD blocks (Node's `blockTimeInMs`, default 5 s).
    pub fn block_time(mut self, time: Duration) -> Self {
        self.block_time = time;
        self
    }

    /// The prefix of the keys that hold sessions for recovery (Node's
    /// `sessionKeyPrefix`, default `sio:session:`).
    pub fn session_key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.session_key_prefix = prefix.into();
        self
    }

    /// Whether payloads never hold binary, so that every entry is JSON
    /// (Node's `onlyPlaintext`, default false).
    pub fn only_plaintext(mut self, plain: bool) -> Self {
        self.only_plaintext = plain;
        self
    }

    /// Whether requests and answers go over Redis 7's sharded PUB/SUB
    /// (`SPUBLISH`/`SSUBSCRIBE`, servers counted with `SHARDNUMSUB`) rather
    /// than classic PUB/SUB (Node's `useShardedPubSub`, default false).
    /// Every server of the cluster should agree.
    pub fn use_sharded_pub_sub(mut self, sharded: bool) -> Self {
        self.use_sharded_pub_sub = sharded;
        self
    }

    /// How long `fetch_sockets` and acked server-side emits wait for the
    /// other servers (5 s in Node, which has no option for it).
    pub fn requests_timeout(mut self, timeout: Duration) -> Self {
        self.requests_timeout = timeout;
        self
    }
}
