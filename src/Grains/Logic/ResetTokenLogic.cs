using System.Buffers.Binary;
using System.Security.Cryptography;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Grains.Abstractions.ResetTokens;

namespace ThrottleCluster.Grains;

/// <summary>
/// State of a reset-token grain: the hash of the current token (empty when none), its expiry and
/// whether it was used. The token itself never reaches the grain.
/// </summary>
public sealed record ResetTokenState(ReadOnlyMemory<byte> Hash, DateTimeOffset ExpiresAt, bool Consumed)
{
    public bool HasToken => !Hash.IsEmpty;

    public bool Equals(ResetTokenState? other) =>
        other is not null && Hash.Span.SequenceEqual(other.Hash.Span) && ExpiresAt == other.ExpiresAt && Consumed == other.Consumed;

    public override int GetHashCode() => HashCode.Combine(Hash.Length, ExpiresAt, Consumed);
}

/// <summary>
/// Reset-token logic: pure, the turn's time passed in. Issue replaces the token (a new email
/// invalidates the previous one); Consume succeeds once, for the current token, before expiry.
/// </summary>
public static class ResetTokenLogic
{
    private const byte Version = 1;
    private const int Length = 1 + 1 + 8 + IResetTokenGrain.HashLength;

    public static ResetTokenState Initial { get; } = new(ReadOnlyMemory<byte>.Empty, DateTimeOffset.MinValue, false);

    private static readonly ResetTokenResult Issued = new(ResetTokenOutcome.Issued);
    private static readonly ResetTokenResult Consumed = new(ResetTokenOutcome.Consumed);
    private static readonly ResetTokenResult Unknown = new(ResetTokenOutcome.Unknown);
    private static readonly ResetTokenResult AlreadyUsed = new(ResetTokenOutcome.AlreadyUsed);
    private static readonly ResetTokenResult Expired = new(ResetTokenOutcome.Expired);
    private static readonly ResetTokenResult Invalid = new(ResetTokenOutcome.Invalid);

    public static (ResetTokenState State, ResetTokenResult Result) Apply(ResetTokenState state, ResetTokenCommand command, DateTimeOffset now)
    {
        switch (command)
        {
            case ResetTokenCommand.Issue issue:
                if (issue.Hash is not { Length: IResetTokenGrain.HashLength }) return (state, Invalid);
                if (issue.ExpiresAt <= now) return (state, Expired);
                // Whole milliseconds: what Serialize keeps, so a state reloaded from storage equals this one.
                var expires = DateTimeOffset.FromUnixTimeMilliseconds(issue.ExpiresAt.ToUnixTimeMilliseconds());
                return (new ResetTokenState(issue.Hash.ToArray(), expires, false), Issued);

            case ResetTokenCommand.Consume consume:
                if (consume.Hash is not { Length: IResetTokenGrain.HashLength }) return (state, Invalid);
                // Compare before looking at anything else, in constant time; the state of a token
                // is only told to someone who holds it.
                var matches = state.HasToken && CryptographicOperations.FixedTimeEquals(state.Hash.Span, consume.Hash);
                if (!matches) return (state, Unknown);
                if (state.Consumed) return (state, AlreadyUsed);
                if (now >= state.ExpiresAt) return (state, Expired);
                return (state with { Consumed = true }, Consumed);

            default:
                throw new ArgumentException($"Unknown reset-token command {command?.GetType().Name ?? "null"}.", nameof(command));
        }
    }

    /// <summary>Until the token expires: after that, used or not, the state decides nothing.</summary>
    public static TimeSpan TimeToLive(ResetTokenState state, DateTimeOffset now)
        => state.HasToken && state.ExpiresAt > now ? state.ExpiresAt - now : TimeSpan.Zero;

    /// <summary>42 bytes: version, flags (bit 0: consumed), expiry (Unix milliseconds, little-endian), hash. No token: just the version.</summary>
    public static byte[] Serialize(ResetTokenState state)
    {
        if (!state.HasToken) return [Version];
        if (state.Hash.Length != IResetTokenGrain.HashLength) throw new ArgumentException($"A reset-token hash is {IResetTokenGrain.HashLength} bytes, not {state.Hash.Length}.", nameof(state));
        var bytes = new byte[Length];
        bytes[0] = Version;
        bytes[1] = state.Consumed ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(2), state.ExpiresAt.ToUnixTimeMilliseconds());
        state.Hash.Span.CopyTo(bytes.AsSpan(10));
        return bytes;
    }

    public static ResetTokenState Deserialize(ReadOnlyMemory<byte> bytes)
    {
        var span = bytes.Span;
        if (span.Length == 0) return Initial;
        if (span[0] != Version) throw Corrupt($"format version {span[0]} is not the supported version {Version}");
        if (span.Length == 1) return Initial;
        if (span.Length != Length) throw Corrupt($"{span.Length} bytes instead of {Length}");
        if (span[1] > 1) throw Corrupt($"flags {span[1]} are not 0 or 1");
        var millis = BinaryPrimitives.ReadInt64LittleEndian(span[2..]);
        if (millis < 0 || millis > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds()) throw Corrupt($"expiry {millis} is out of range");
        return new ResetTokenState(span[10..].ToArray(), DateTimeOffset.FromUnixTimeMilliseconds(millis), span[1] == 1);
    }

    private static InvalidDataException Corrupt(string what) => new($"Stored {GrainKinds.ResetToken} state is corrupt: {what}.");
}
