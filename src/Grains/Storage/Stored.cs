namespace ThrottleCluster.Grains.Storage;

/// <summary>
/// What a grain storage provider may ask of any state it holds: when the store may drop it. The
/// store keeps the expiry itself (not in the serialized bytes), and tells it again on a read.
/// </summary>
public interface IExpiringState
{
    /// <summary>When the state can no longer affect a decision; null: never.</summary>
    DateTimeOffset? ExpiresAt { get; set; }
}

/// <summary>
/// A grain's state as grain storage holds it. <see cref="Value"/> is null when nothing is stored
/// (never written, cleared, or expired): the grain then starts from its initial state, exactly like
/// a new one.
/// </summary>
public sealed class Stored<TState> : IExpiringState where TState : class
{
    public TState? Value { get; init; }

    public DateTimeOffset? ExpiresAt { get; set; }
}
