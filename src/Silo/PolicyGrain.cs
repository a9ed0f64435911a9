using System.Buffers.Binary;
using System.Text;
using ThrottleCluster.Runtime;

namespace ThrottleCluster.Silo;

/// <summary>The live policy as stored: a version that grows with each replacement, and the policy as JSON.</summary>
public sealed record StoredPolicy(long Version, string Json)
{
    public static StoredPolicy None { get; } = new(0, "");
}

/// <summary>Puts a policy (already validated by the caller) in force for the whole cluster.</summary>
public sealed record ReplacePolicy(string PolicyJson);

/// <summary>
/// One grain, <c>policy/current</c>, holds the cluster's live policy. Being a grain, it is written
/// with the same compare-and-set as throttle state, in the same engine every silo reads.
/// </summary>
public static class PolicyGrain
{
    public const string Kind = "policy";

    public static GrainId Current { get; } = new(Kind, "current");

    /// <summary>Far beyond any deployment's life: a live policy must not quietly expire back to configuration.</summary>
    private static readonly TimeSpan Kept = TimeSpan.FromDays(3650);

    public static GrainType<StoredPolicy, ReplacePolicy, StoredPolicy> Type { get; } = new(
        Kind,
        StoredPolicy.None,
        (state, command, _) =>
        {
            var next = new StoredPolicy(state.Version + 1, command.PolicyJson);
            return (next, next);
        },
        (state, _) => state.Version == 0 ? TimeSpan.Zero : Kept,
        Serialize,
        Deserialize);

    private static byte[] Serialize(StoredPolicy state)
    {
        var bytes = new byte[sizeof(long) + Encoding.UTF8.GetByteCount(state.Json)];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, state.Version);
        Encoding.UTF8.GetBytes(state.Json, bytes.AsSpan(sizeof(long)));
        return bytes;
    }

    private static StoredPolicy Deserialize(ReadOnlyMemory<byte> bytes)
    {
        if (bytes.Length < sizeof(long)) return StoredPolicy.None;
        return new StoredPolicy(BinaryPrimitives.ReadInt64LittleEndian(bytes.Span), Encoding.UTF8.GetString(bytes.Span[sizeof(long)..]));
    }
}
