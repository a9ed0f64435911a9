using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace ThrottleCluster.Runtime.Storage;

/// <summary>
/// Grain storage in a Redis-protocol engine: Garnet or Redis, single node or cluster.
/// A grain's state is one string key, <c>{prefix}{{grain key}}</c>, holding the decimal version, a
/// colon and the raw state bytes; its receipts sit beside it under the same hash tag, so a write is
/// one script on one node. Garnet runs scripts atomically only with <c>--lua --lua-transaction-mode</c>;
/// without the second flag two silos can both win the same version.
/// </summary>
/// <remarks>
/// A lost connection surfaces as <see cref="RedisConnectionException"/> and a missing answer as a
/// <see cref="TimeoutException"/> after the multiplexer's sync timeout (StackExchange.Redis 1.x never
/// times out async calls itself). Either way, and on cancellation, the write may or may not have
/// happened.
/// </remarks>
public sealed class RedisGrainStorage : IGrainStorage, IDisposable
{
    public const string DefaultKeyPrefix = "tc:";

    // KEYS: [1] state, then the receipts to check, then the receipts to record.
    // ARGV: [1] expected version, [2] new value, [3] state TTL in ms ("0" deletes),
    //       [4] receipt TTL in ms, [5] number of receipts to check, [6..] results to record.
    // Versions are compared as decimal strings, so the script never converts numbers and the new
    // value (built by the client) is stored as is.
    private const string WriteScript = """
        local checks = tonumber(ARGV[5])
        local found = {}
        for i = 1, checks do
          local receipt = redis.call('GET', KEYS[1 + i])
          if receipt then
            found[#found + 1] = i
            found[#found + 1] = receipt
          end
        end
        if #found > 0 then return {2, found} end
        local current = redis.call('GET', KEYS[1])
        local version = '0'
        if current then version = string.sub(current, 1, string.find(current, ':', 1, true) - 1) end
        if version ~= ARGV[1] then return {1, current} end
        if ARGV[3] == '0' then
          redis.call('DEL', KEYS[1])
        else
          redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
        end
        for i = 2 + checks, #KEYS do
          redis.call('SET', KEYS[i], ARGV[4 + i - checks], 'PX', ARGV[4])
        end
        return {0}
        """;

    private const long Written = 0, Conflict = 1, Duplicate = 2;

    private static readonly byte[] WriteScriptSha1 = SHA1.HashData(Encoding.UTF8.GetBytes(WriteScript));
    private static readonly RedisValue ReceiptTimeToLiveMilliseconds = Milliseconds(StateWrite.ReceiptTimeToLive);

    private readonly Func<IDatabase> _database;
    private readonly string _keyPrefix;
    private IDisposable? _ownedConnection;

    public RedisGrainStorage(IConnectionMultiplexer connection, string keyPrefix = DefaultKeyPrefix)
        : this(Always(connection.GetDatabase()), keyPrefix) { }

    /// <summary>On a self-healing connection: each call takes the database of its multiplexer of the moment.</summary>
    public RedisGrainStorage(RedisConnection connection, string keyPrefix = DefaultKeyPrefix)
        : this(() => connection.Database, keyPrefix) { }

    private RedisGrainStorage(Func<IDatabase> database, string keyPrefix)
    {
        if (keyPrefix.Contains('{') || keyPrefix.Contains('}'))
            throw new ArgumentException($"Key prefix '{keyPrefix}' must not contain braces: they would move the hash tag.", nameof(keyPrefix));
        _database = database;
        _keyPrefix = keyPrefix;
    }

    /// <summary>
    /// Opens a <see cref="RedisConnection"/> of its own, closed when this storage is disposed: it
    /// connects in the background and keeps reconnecting, so a silo starts, and recovers, while the
    /// engine is down or its connections have died.
    /// </summary>
    public static RedisGrainStorage Connect(string configuration, string keyPrefix = DefaultKeyPrefix)
    {
        var connection = RedisConnection.Connect(configuration);
        return new RedisGrainStorage(connection, keyPrefix) { _ownedConnection = connection };
    }

    public void Dispose() => _ownedConnection?.Dispose();

    private static Func<IDatabase> Always(IDatabase database) => () => database;

    public async ValueTask<StoredState> ReadAsync(string key, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var database = _database();
        var value = (byte[]?)await AwaitReply($"read of '{key}'", database, database.StringGetAsync(StateKey(key)), cancellationToken);
        return value is null ? StoredState.Missing : Decode(key, value);
    }

    public async ValueTask<WriteOutcome> WriteAsync(StateWrite write, CancellationToken cancellationToken = default)
    {
        // Once sent, a write cannot be called back: cancelling after this point leaves its outcome unknown.
        cancellationToken.ThrowIfCancellationRequested();
        var checks = write.CheckReceipts.Count;
        var keys = new RedisKey[1 + checks + write.Receipts.Count];
        keys[0] = StateKey(write.Key);
        for (var i = 0; i < checks; i++) keys[1 + i] = ReceiptKey(write.Key, write.CheckReceipts[i]);
        for (var i = 0; i < write.Receipts.Count; i++) keys[1 + checks + i] = ReceiptKey(write.Key, write.Receipts[i].CallId);

        var delete = write.TimeToLive <= TimeSpan.Zero;
        var args = new RedisValue[5 + write.Receipts.Count];
        args[0] = Decimal(write.ExpectedVersion);
        args[1] = delete ? RedisValue.EmptyString : Encode(write.ExpectedVersion + 1, write.State.Span);
        args[2] = delete ? (RedisValue)0 : Milliseconds(write.TimeToLive);
        args[3] = ReceiptTimeToLiveMilliseconds;
        args[4] = checks;
        for (var i = 0; i < write.Receipts.Count; i++) args[5 + i] = write.Receipts[i].Result.ToArray();

        var database = _database();
        var reply = (RedisResult[])(await AwaitReply($"write of '{write.Key}'", database, Evaluate(database, keys, args), cancellationToken))!;
        return (long)reply[0] switch
        {
            Written => WriteOutcome.Written(delete ? 0 : write.ExpectedVersion + 1),
            Conflict => WriteOutcome.Conflict((byte[]?)reply[1] is { } current ? Decode(write.Key, current) : StoredState.Missing),
            Duplicate => WriteOutcome.Duplicate(Duplicates(write, (RedisResult[])reply[1]!)),
            var status => throw new InvalidDataException($"Grain storage script answered unknown status {status} for '{write.Key}'."),
        };
    }

    // EVALSHA carries 40 bytes instead of the script; a node that has not seen the script yet
    // (new, restarted, or another cluster node) answers NOSCRIPT without running anything, and EVAL
    // both runs and caches it there.
    private static async Task<RedisResult> Evaluate(IDatabase database, RedisKey[] keys, RedisValue[] args)
    {
        try
        {
            return await database.ScriptEvaluateAsync(WriteScriptSha1, keys, args);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            return await database.ScriptEvaluateAsync(WriteScript, keys, args);
        }
    }

    private static async Task<T> AwaitReply<T>(string call, IDatabase database, Task<T> reply, CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromMilliseconds(database.Multiplexer.TimeoutMilliseconds);
        try
        {
            return await reply.WaitAsync(timeout, cancellationToken);
        }
        catch (Exception e) when ((e is TimeoutException or OperationCanceledException) && !reply.IsCompleted)
        {
            // The reply may still fail later; observe it so it is not reported as unobserved.
            _ = reply.ContinueWith(static t => t.Exception, TaskContinuationOptions.OnlyOnFaulted);
            if (e is OperationCanceledException) throw;
            throw new TimeoutException($"Grain storage got no answer to the {call} within {timeout.TotalMilliseconds} ms; it may or may not have happened.", e);
        }
    }

    private static List<CallReceipt> Duplicates(StateWrite write, RedisResult[] found)
    {
        var receipts = new List<CallReceipt>(found.Length / 2);
        for (var i = 0; i < found.Length; i += 2)
            receipts.Add(new CallReceipt(write.CheckReceipts[(int)found[i] - 1], (byte[])found[i + 1]!));
        return receipts;
    }

    private RedisKey StateKey(string key) => _keyPrefix + "{" + CheckKey(key) + "}";

    private RedisKey ReceiptKey(string key, string callId) => _keyPrefix + "{" + CheckKey(key) + "}:r:" + callId;

    private static string CheckKey(string key)
    {
        // An empty hash tag would hash each whole key, scattering a grain's keys over slots.
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (key.Contains('{') || key.Contains('}'))
            throw new ArgumentException($"Grain storage key '{key}' must not contain braces: it is the cluster hash tag.", nameof(key));
        return key;
    }

    private static byte[] Encode(long version, ReadOnlySpan<byte> state)
    {
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(version, digits, out var length);
        var value = new byte[length + 1 + state.Length];
        digits[..length].CopyTo(value);
        value[length] = (byte)':';
        state.CopyTo(value.AsSpan(length + 1));
        return value;
    }

    private static StoredState Decode(string key, byte[] value)
    {
        var separator = Array.IndexOf(value, (byte)':');
        if (separator <= 0 || !Utf8Parser.TryParse(value.AsSpan(0, separator), out long version, out var consumed) || consumed != separator || version <= 0)
            throw new InvalidDataException($"Grain storage value for '{key}' does not start with a version.");
        return new StoredState(version, value.AsMemory(separator + 1));
    }

    private static string Decimal(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static RedisValue Milliseconds(TimeSpan duration) => Math.Max(1L, (long)Math.Ceiling(duration.TotalMilliseconds));
}
