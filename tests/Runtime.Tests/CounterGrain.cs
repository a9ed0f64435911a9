using System.Buffers.Binary;
using ThrottleCluster.Runtime;

namespace ThrottleCluster.Runtime.Tests;

public sealed record Increment(long By);

/// <summary>The smallest useful grain: a counter whose result is its value after the command.</summary>
public static class CounterGrain
{
    public const string Kind = "counter";

    public static GrainType<long, Increment, long> Type { get; } = new(
        Kind,
        InitialState: 0,
        Apply: (state, command, _) =>
        {
            if (command.By < 0) throw new ArgumentException($"A counter only counts up (By was {command.By}).");
            return (state + command.By, state + command.By);
        },
        TimeToLive: (_, _) => TimeSpan.FromHours(1),
        Serialize: state =>
        {
            var bytes = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(bytes, state);
            return bytes;
        },
        Deserialize: bytes => BinaryPrimitives.ReadInt64LittleEndian(bytes.Span));

    public static GrainId Id(string key) => new(Kind, key);
}
