using System.Security.Cryptography;
using System.Text;
using Orleans.Storage;
using StackExchange.Redis;
using ThrottleCluster.Grains.Storage;

namespace ThrottleCluster.Hosting.Storage;

/// <summary>
/// Grain storage in a Redis-protocol engine (Garnet or Redis, single node or cluster). A grain's state
/// is one string key, <c>{prefix}{grain id}</c>, holding its ETag and then its bytes, and expiring
/// with the state (<c>PX</c>), so the engine itself drops what can no longer affect a decision. Every
/// write and clear is one script: compare the ETag, then set or delete. Garnet runs scripts
/// atomically only with <c>--lua --lua-transaction-mode</c>; without the second flag two silos can
/// both win the same ETag.
/// </summary>
/// <remarks>
/// Its awaits do not come back to the grain's scheduler (<c>ConfigureAwait(false)</c>): they touch
/// nothing of the activation's but the <see cref="IGrainState{T}"/> it was handed, which its grain
/// does not read until the returned task completes. Coming back would queue each continuation to the
/// activation (a task, a continuation and a delegate allocated per await), on every write.
/// </remarks>
public sealed class RedisStateStorage(IConnectionMultiplexer redis, IGrainStorageSerializer serializer, TimeProvider time, string keyPrefix) : IGrainStorage
{
    // KEYS[1]: the state. ARGV[1]: the ETag expected ('' for none), ARGV[2]: the new value ('' to
    // delete), ARGV[3]: its time to live in ms ('0': none). Answers 1, or the ETag found instead.
    private const string WriteScript = """
        local current = redis.call('GET', KEYS[1])
        local etag = ''
        if current then etag = string.sub(current, 1, 16) end
        if etag ~= ARGV[1] then return etag end
        if ARGV[2] == '' then
          redis.call('DEL', KEYS[1])
        elseif ARGV[3] == '0' then
          redis.call('SET', KEYS[1], ARGV[2])
        else
          redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
        end
        return 1
        """;

    private static readonly byte[] WriteScriptSha1 = SHA1.HashData(Encoding.UTF8.GetBytes(WriteScript));

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var database = redis.GetDatabase();
        // Both go out at once, on one connection to the key's node.
        var key = Key(grainId);
        var read = database.StringGetAsync(key);
        var timeToLive = database.KeyTimeToLiveAsync(key);
        var value = (byte[]?)await read.ConfigureAwait(false);
        var remaining = await timeToLive.ConfigureAwait(false);
        if (value is null)
        {
            grainState.State = Activator.CreateInstance<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
            return;
        }
        if (value.Length < ETags.Length) throw new InvalidDataException($"Grain state {key} holds {value.Length} bytes, fewer than its ETag's {ETags.Length}.");
        grainState.State = serializer.Deserialize<T>(value.AsMemory(ETags.Length))!;
        if (grainState.State is IExpiringState expiring) expiring.ExpiresAt = time.GetUtcNow() + remaining;
        grainState.ETag = Encoding.ASCII.GetString(value, 0, ETags.Length);
        grainState.RecordExists = true;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var etag = ETags.New();
        var state = serializer.Serialize(grainState.State).ToMemory().Span;
        var value = new byte[ETags.Length + state.Length];
        Encoding.ASCII.GetBytes(etag, value);
        state.CopyTo(value.AsSpan(ETags.Length));
        await CompareAndSetAsync(grainId, grainState.ETag, value, TimeToLive((grainState.State as IExpiringState)?.ExpiresAt)).ConfigureAwait(false);
        grainState.ETag = etag;
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        await CompareAndSetAsync(grainId, grainState.ETag, RedisValue.EmptyString, 0).ConfigureAwait(false);
        grainState.ETag = null;
        grainState.RecordExists = false;
    }

    private async Task CompareAndSetAsync(GrainId grainId, string? expected, RedisValue value, long timeToLiveMilliseconds)
    {
        var key = Key(grainId);
        RedisKey[] keys = [key];
        RedisValue[] args = [expected ?? "", value, timeToLiveMilliseconds];
        var database = redis.GetDatabase();
        RedisResult reply;
        try
        {
            reply = await database.ScriptEvaluateAsync(WriteScriptSha1, keys, args).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            // A node new, restarted or not asked before: EVAL runs the script and caches it there.
            reply = await database.ScriptEvaluateAsync(WriteScript, keys, args).ConfigureAwait(false);
        }
        if (reply.Resp2Type == ResultType.Integer) return;
        var found = (string?)reply;
        throw new InconsistentStateException($"Grain state {key} was written by another activation since it was read.", found is "" ? null : found, expected);
    }

    // Whole milliseconds, at least one: a state that expires within the millisecond is still written.
    private long TimeToLive(DateTimeOffset? expiresAt) => expiresAt is { } at
        ? Math.Max(1, (long)Math.Ceiling((at - time.GetUtcNow()).TotalMilliseconds))
        : 0;

    private readonly byte[] _prefix = Encoding.UTF8.GetBytes(keyPrefix);

    // {prefix}{grain id} as the engine holds it: the prefix, then the id as GrainId.ToString spells it
    // ("{type}/{key}", UTF-8), written once as bytes instead of two strings encoded again per command.
    private RedisKey Key(GrainId grainId)
    {
        var type = grainId.Type.AsSpan();
        var id = grainId.Key.AsSpan();
        var key = new byte[_prefix.Length + type.Length + 1 + id.Length];
        _prefix.CopyTo(key, 0);
        type.CopyTo(key.AsSpan(_prefix.Length));
        key[_prefix.Length + type.Length] = (byte)'/';
        id.CopyTo(key.AsSpan(_prefix.Length + type.Length + 1));
        return key;
    }
}
