using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Grains;

/// <summary>
/// The policy grains decide with, one per silo. Grains read <see cref="Current"/> at every batch, so a
/// validated replacement takes effect on the next call without reactivating anything.
/// </summary>
public sealed class ThrottlePolicyStore
{
    public const string Section = "Throttle";

    private readonly Lock _replacing = new();
    private volatile Versioned _current;

    public ThrottlePolicyStore(ThrottlePolicy initial)
    {
        initial.Validate(Section);
        _current = new Versioned(initial, 0);
    }

    public ThrottlePolicy Current => _current.Policy;

    /// <summary>The stored live-policy version in force; 0 while the configured policy is.</summary>
    public long Version => _current.Version;

    /// <summary>Applies a stored policy unless this silo already runs that version or a later one.</summary>
    /// <returns>Whether the policy was applied.</returns>
    /// <exception cref="ArgumentException">The policy is invalid; the current one stays.</exception>
    public bool Replace(ThrottlePolicy policy, long version)
    {
        policy.Validate(Section);
        // A PUT and the background refresh may apply the same version at once: only one may win.
        lock (_replacing)
        {
            if (version <= _current.Version) return false;
            _current = new Versioned(policy, version);
            return true;
        }
    }

    private sealed record Versioned(ThrottlePolicy Policy, long Version);
}
