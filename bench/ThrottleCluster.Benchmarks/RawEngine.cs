using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;
using ThrottleCluster.Grains;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Hosting.Storage;

namespace ThrottleCluster.Benchmarks;

/// <summary>
/// The baselines: what the engine does for StackExchange.Redis with nothing of Orleans or the product
/// in between, over 10,000 keys, in the same closed loop as every other figure.
/// </summary>
public static class RawEngine
{
    private const int Keys = 10_000;

    /// <summary>A plain SET per operation.</summary>
    public static Task<Rate> SetAsync(IDatabase db, string name, int inFlight, TimeSpan time)
    {
        var keys = Enumerable.Range(0, Keys).Select(i => (RedisKey)$"raw:set:{i}").ToArray();
        RedisValue value = StoredValue();
        return ClosedLoop.MeasureAsync(name, inFlight, time, i => db.StringSetAsync(keys[i % Keys], value));
    }

    /// <summary>
    /// The compare-and-set script <see cref="RedisStateStorage"/> runs for every grain write (the
    /// provider's own text, read from it, so the two cannot drift apart), sent by SHA as the provider
    /// sends it, with a fresh random ETag per write and each key's last ETag as the expected one.
    /// </summary>
    public static async Task<(Rate Rate, long Conflicts)> CompareAndSetAsync(IDatabase db, string name, int inFlight, TimeSpan time)
    {
        var script = WriteScript();
        var sha = SHA1.HashData(Encoding.UTF8.GetBytes(script));
        // Keys of this run alone: each starts with no ETag, as the array of expected ones does.
        var run = Guid.NewGuid().ToString("N")[..8];
        var keys = Enumerable.Range(0, Keys).Select(i => (RedisKey)$"raw:cas:{run}:{i}").ToArray();
        var etags = new string[Keys];
        Array.Fill(etags, "");
        var state = StoredValue();
        RedisValue ttl = 3_600_000;
        await db.ScriptEvaluateAsync(script, [(RedisKey)"raw:cas:load"], ["", "x", ttl]); // caches the script on the engine
        long conflicts = 0;
        var rate = await ClosedLoop.MeasureAsync(name, inFlight, time, async i =>
        {
            var k = (int)(i % Keys);
            var etag = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
            var value = new byte[etag.Length + state.Length];
            Encoding.ASCII.GetBytes(etag, value);
            state.CopyTo(value, etag.Length);
            var reply = await db.ScriptEvaluateAsync(sha, [keys[k]], [etags[k], value, ttl]);
            if (reply.Resp2Type == ResultType.Integer) etags[k] = etag;
            else Interlocked.Increment(ref conflicts);
        });
        return (rate, conflicts);
    }

    /// <summary>An ip grain's stored state after five requests: the size of a real write.</summary>
    public static byte[] StoredValue()
    {
        var policy = new ThrottlePolicy();
        var state = SourceLogic.Initial;
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < 5; i++) state = SourceLogic.Apply(policy.Ip, state, new SourceCommand.Reserve((ulong)i * 7919), now).State;
        return SourceLogic.Serialize(state);
    }

    private static string WriteScript()
        => typeof(RedisStateStorage).GetField("WriteScript", BindingFlags.NonPublic | BindingFlags.Static)?.GetRawConstantValue() as string
           ?? throw new InvalidOperationException($"{nameof(RedisStateStorage)} no longer has a WriteScript constant: update the baseline with it.");
}
